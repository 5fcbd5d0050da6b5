import type { SampleObserver } from '../compare/compare-models.js';
import type { Sample } from '../inputs/input-source.js';
import { numel, type Tensor } from '../tensor/tensor.js';
import { UserError, invalidParameter } from '../errors.js';

/**
 * Error on a channel range of one output, e.g. the class scores of a YOLO head: output0 is
 * [1, 84, 8400] with rows 0-3 box coordinates (pixels) and rows 4-83 class scores (0-1). Pooled
 * with the boxes, the class scores' error disappears under the boxes' magnitude; separated, a
 * "classness collapse" (every score quantized to 0) shows at once.
 */
export interface ChannelRange {
  start: number;
  /** Exclusive; Infinity = to the end of the axis. */
  end: number;
}

/** "4:84", "4:" (to the end), "4" (one channel). */
export function parseChannelRange(s: string): ChannelRange {
  const m = /^(\d+)(?::(\d*))?$/.exec(s.trim());
  if (!m) throw invalidParameter('score-channels', 'START:END, START: or START (rows of axis 1, END exclusive)', s);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start + 1 : m[2] === '' ? Infinity : Number(m[2]);
  if (!(end > start)) throw invalidParameter('score-channels', 'a non-empty range (END above START)', s);
  return { start, end };
}

export interface ChannelStats {
  sumRef2: number;
  sumErr2: number;
  /** Largest value in the range (the best class score for a detector). */
  maxValue: number;
}

/** Visit each value of `t` in channels [start, end) of axis 1 (batch-major layout [B, C, ...]). */
export function forEachInChannels(t: Tensor, range: ChannelRange, visit: (index: number) => void): void {
  if (t.shape.length < 2) throw new UserError(`output ${t.name} has shape [${t.shape}]: no channel axis`);
  const [b, c] = [t.shape[0]!, t.shape[1]!];
  const inner = numel(t.shape.slice(2));
  const end = Math.min(range.end, c);
  if (range.start >= c) throw new UserError(`output ${t.name} has ${c} channels; --score-channels starts at ${range.start}`);
  for (let bi = 0; bi < b; bi++) {
    for (let ci = range.start; ci < end; ci++) {
      const base = (bi * c + ci) * inner;
      for (let k = 0; k < inner; k++) visit(base + k);
    }
  }
}

/** Collects channel-range statistics of one output for the FP32 model and every candidate. */
export class ChannelRangeObserver implements SampleObserver {
  readonly fp32: ChannelStats = { sumRef2: 0, sumErr2: 0, maxValue: -Infinity };
  readonly candidates: ChannelStats[] = [];

  constructor(readonly output: string, readonly range: ChannelRange) {}

  observeSample(_sample: Sample, fp32Outputs: Map<string, Tensor>, int8Outputs: Map<string, Tensor>[]): void {
    const ref = fp32Outputs.get(this.output);
    if (!ref) return;
    const a = ref.data as Float32Array;
    forEachInChannels(ref, this.range, (i) => {
      this.fp32.sumRef2 += a[i]! * a[i]!;
      if (a[i]! > this.fp32.maxValue) this.fp32.maxValue = a[i]!;
    });
    int8Outputs.forEach((outs, k) => {
      const test = outs.get(this.output);
      const s = (this.candidates[k] ??= { sumRef2: 0, sumErr2: 0, maxValue: -Infinity });
      if (!test) return;
      const b = test.data as Float32Array;
      forEachInChannels(test, this.range, (i) => {
        const d = a[i]! - b[i]!;
        s.sumRef2 += a[i]! * a[i]!;
        s.sumErr2 += d * d;
        if (b[i]! > s.maxValue) s.maxValue = b[i]!;
      });
    });
  }
}
