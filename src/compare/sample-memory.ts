import { releaseTensor } from '../tensor/release.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Which activations of the current sample the comparison may free, and when (tensor/release.ts).
 * The pipeline owns a tensor when a runner that declares `yieldsOwnBuffers` returned it or the
 * pipeline allocated it (a dequantized copy). `done` frees an owned tensor at once, unless an
 * observer holds it: held tensors are freed when the sample ends, after its SampleObservers.
 * Tensors never owned (runner buffers that may be reused, the sample's inputs) are never touched.
 */
export class SampleMemory {
  private readonly owned = new WeakSet<Tensor>();
  private readonly held = new Set<Tensor>();

  adopt(t: Tensor): Tensor {
    this.owned.add(t);
    return t;
  }

  hold(t: Tensor): void {
    this.held.add(t);
  }

  done(t: Tensor): void {
    if (!this.held.has(t) && this.owned.has(t)) releaseTensor(t);
  }

  /** Frees the held tensors except `keep` (the final outputs, which outlive the sample's observers). */
  endSample(keep: Iterable<Tensor>): void {
    const kept = new Set(keep);
    for (const t of this.held) if (!kept.has(t) && this.owned.has(t)) releaseTensor(t);
    this.held.clear();
  }
}
