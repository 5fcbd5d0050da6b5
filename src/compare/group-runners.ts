import type { OnnxModel } from '../graph/onnx-model.js';
import { OrtRunner } from '../runners/ort-runner.js';
import type { Runner, TensorInfo } from '../runners/runner.js';
import { dtypeBytes } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';

/**
 * One session per fetch group (--max-memory). ONNX Runtime computes and holds every graph output of
 * a session until the run returns, whatever the fetch list: a session with every tensor marked
 * peaks at the activations of the whole model even when one group is fetched (measured: fetching 2
 * of 11 marked 20 MB tensors held all 11). So each group gets a session that marks only its own
 * tensors, opened once and reused for every sample; as instrumented sessions, they run without the
 * CPU memory arena (ort-runner.ts), so each gives its peak back after a run instead of keeping it.
 */
export class GroupRunners {
  /** Open sessions by group, least recently used first (Map keeps insertion order). */
  private readonly runners = new Map<string, Promise<Runner>>();
  private readonly used = new Set<string>();

  /**
   * `maxOpen`: sessions kept open at once (--max-memory counts their weights, memory-budget.ts);
   * past it the least recently used one is closed, and reopened when its group comes again.
   */
  constructor(private readonly model: OnnxModel, private readonly threads?: number, private readonly maxOpen = Infinity) {}

  async get(names: readonly string[]): Promise<Runner> {
    const key = names.join('\u0000');
    this.used.add(key);
    let r = this.runners.get(key);
    if (r) {
      this.runners.delete(key); // most recently used goes last
    } else {
      while (this.runners.size >= this.maxOpen) {
        const [oldest, runner] = this.runners.entries().next().value as [string, Promise<Runner>];
        this.runners.delete(oldest);
        await (await runner).close();
      }
      r = OrtRunner.open(this.model, { mark: names, threads: this.threads });
    }
    this.runners.set(key, r);
    return r;
  }

  /** Close the sessions not asked for since the last sweep (groups of an earlier plan). */
  async sweep(): Promise<void> {
    for (const [key, r] of this.runners) {
      if (this.used.has(key)) continue;
      this.runners.delete(key);
      await (await r).close();
    }
    this.used.clear();
  }

  async close(): Promise<void> {
    this.used.clear();
    await this.sweep();
  }
}

/** Byte sizes of the tensors whose shape the runtime knows statically (all dims numeric). */
export function staticSizes(infos: readonly TensorInfo[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const t of infos) {
    if (t.dtype === 'unknown' || !t.shape.every((d) => typeof d === 'number' && d >= 0)) continue;
    sizes.set(t.name, numel(t.shape as number[]) * dtypeBytes(t.dtype));
  }
  return sizes;
}
