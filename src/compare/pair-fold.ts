import type { Tensor } from '../tensor/tensor.js';
import { isFloatDType } from '../tensor/dtype.js';
import { accumulateDequantized, accumulateTensors, finalize, mergeAccumulators, newAccumulator, sqnrDb, type MetricAccumulator, type TensorMetrics } from './metrics.js';

/** An integer test tensor standing for DequantizeLinear's (q − zeroPoint) · scale. */
export interface Dequant {
  scale: number;
  zeroPoint: number;
}

/** Why a tensor pair cannot be compared (not both floating point, element counts differ), or undefined. */
function pairProblem(ref: Tensor, test: Tensor, dequant: Dequant | undefined): string | undefined {
  if (!isFloatDType(ref.dtype) || (!isFloatDType(test.dtype) && !dequant)) return `${ref.dtype === test.dtype ? ref.dtype : `${ref.dtype}/${test.dtype}`} tensor (not an activation)`;
  if (ref.data.length !== test.data.length) return `shapes differ: [${ref.shape}] vs [${test.shape}]`;
  return undefined;
}

/**
 * The fold every comparison shares (compare-models, compare-dumps, local-error): each sample's
 * FP32/INT8 pair of a tensor into its FP64 accumulator, pooled over samples, with the worst sample
 * kept and the pairs that cannot be compared named with why.
 */
export class PairFold {
  /** Pooled sums per tensor name (mergeable across shards: compare/partial.ts). */
  readonly acc = new Map<string, MetricAccumulator>();
  /** The sample with the lowest SQNR per tensor name. */
  readonly worst = new Map<string, { sample: string; sqnrDb: number }>();
  /** Tensor name → why it is not compared (set here, or by the caller for its own reasons). */
  readonly skipped = new Map<string, string>();

  /**
   * Folds one sample's pair. Returns that sample's own metrics, or undefined when the pair cannot be
   * compared (the reason is in `skipped`). With `dequant`, an integer `test` is compared as its
   * dequantized value without a float copy (accumulateDequantized).
   */
  add(name: string, sample: string, ref: Tensor, test: Tensor, dequant?: Dequant): TensorMetrics | undefined {
    const problem = pairProblem(ref, test, dequant);
    if (problem !== undefined) {
      this.skipped.set(name, problem);
      return undefined;
    }
    const one = dequant && !isFloatDType(test.dtype)
      ? accumulateDequantized(newAccumulator(), ref, test, dequant.scale, dequant.zeroPoint)
      : accumulateTensors(newAccumulator(), ref, test);
    const s = sqnrDb(one.sumRef2, one.sumErr2);
    const w = this.worst.get(name);
    if (!w || s < w.sqnrDb) this.worst.set(name, { sample, sqnrDb: s });
    const own = finalize(one);
    const pooled = this.acc.get(name);
    if (pooled) mergeAccumulators(pooled, one); else this.acc.set(name, one);
    return own;
  }

  /** Pooled metrics of one tensor, or undefined when none of its pairs was compared. */
  metrics(name: string): TensorMetrics | undefined {
    const a = this.acc.get(name);
    return a && finalize(a);
  }
}
