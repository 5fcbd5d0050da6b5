import { UserError, at } from '../errors.js';
import { numel, type Tensor } from '../tensor/tensor.js';
import type { RunOptions, Runner, RunnerDescription, TensorInfo } from './runner.js';

/** Inference time of the runs so far: until each run's first tensor was available. */
export interface InferenceTiming {
  runs: number;
  totalMs: number;
  lastMs: number;
}

/**
 * What every runner does the same way (Polygraphy's BaseRunner): feeds are checked against the
 * declared inputs before the backend sees them, a closed runner refuses to run (closing it again does nothing), and
 * inference time is recorded. A runner is open from its factory (`open`) on, so it cannot be opened
 * twice. Subclasses implement `infer` (stream the fetched tensors) and `release`.
 */
export abstract class BaseRunner implements Runner {
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];
  readonly timing: InferenceTiming = { runs: 0, totalMs: 0, lastMs: 0 };

  abstract describe(): RunnerDescription;
  protected abstract infer(feeds: Readonly<Record<string, Tensor>>, fetch: readonly string[] | undefined): AsyncIterable<Tensor>;
  protected abstract release(): Promise<void>;

  get isClosed(): boolean {
    return this.closed;
  }

  async *run(feeds: Readonly<Record<string, Tensor>>, options: RunOptions = {}): AsyncIterable<Tensor> {
    const d = this.describe();
    if (this.closed) throw new Error(`${d.source}: ${d.backend} runner used after close()`);
    checkFeeds(d.inputs, feeds, d.source);
    const t0 = performance.now();
    let first = true;
    for await (const t of this.infer(feeds, options.fetch)) {
      if (first) this.recordInference(performance.now() - t0);
      first = false;
      yield t;
    }
    if (first) this.recordInference(performance.now() - t0);
  }

  /** Releases the backend; a second call does nothing (the pipeline closes runners early to free memory, then again on the way out). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.release();
    } finally {
      for (const hook of this.closeHooks) hook();
    }
  }

  /** Runs `hook` after the runner is closed (e.g. removes the temp folder of a built engine). */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  private recordInference(ms: number): void {
    this.timing.runs++;
    this.timing.totalMs += ms;
    this.timing.lastMs = ms;
  }
}

const fmt = (dtype: string, shape: readonly (number | string)[]) => `${dtype}[${shape.join(',')}]`;

/**
 * Feeds must name exactly the declared inputs, with their dtype and rank (unless the model declares
 * no dims); numeric dims must match,
 * and a symbolic dim must take one value across all inputs (e.g. "batch"). One UserError naming the
 * model and the input otherwise.
 */
function checkFeeds(inputs: readonly TensorInfo[], feeds: Readonly<Record<string, Tensor>>, source: string): void {
  const declared = new Set(inputs.map((i) => i.name));
  const extra = Object.keys(feeds).filter((n) => !declared.has(n));
  if (extra.length > 0) throw new UserError(`feed ${extra.join(', ')} is not an input of the model (inputs: ${[...declared].join(', ')})`, source);
  const symbols = new Map<string, number>();
  for (const info of inputs) {
    const t = feeds[info.name];
    if (!t) throw new UserError(`no feed for input ${info.name} ${fmt(info.dtype, info.shape)}`, source);
    const bad = (why: string) => new UserError(`input ${info.name}: expected ${fmt(info.dtype, info.shape)}, got ${fmt(t.dtype, t.shape)} (${why})`, source);
    if (info.dtype !== 'unknown' && t.dtype !== info.dtype) throw bad('dtype');
    // No dims declared: a scalar, or a shape the model leaves unknown (ONNX Runtime says [] for both).
    if (info.shape.length === 0) { if (t.data.length !== numel(t.shape)) throw bad(`${t.data.length} elements for ${numel(t.shape)}`); continue; }
    if (t.shape.length !== info.shape.length) throw bad('rank');
    info.shape.forEach((d, j) => {
      const got = at(t.shape, j);
      if (typeof d === 'number') {
        if (d >= 0 && d !== got) throw bad(`dim ${j}`);
      } else if (d !== '') {
        const seen = symbols.get(d);
        if (seen !== undefined && seen !== got) throw bad(`dim ${j} "${d}" is ${seen} in another input`);
        symbols.set(d, got);
      }
    });
    if (t.data.length !== numel(t.shape)) throw bad(`${t.data.length} elements for ${numel(t.shape)}`);
  }
}
