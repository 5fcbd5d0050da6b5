/**
 * FP64 running sums and extrema of one tensor pair (ref = FP32 side a, test = INT8 side b); mergeable
 * across images. Filled by the TypeScript pass (metrics.ts), the native CPU pass and the CUDA kernels.
 */
export interface MetricAccumulator {
  count: number;      // element pairs seen
  finite: number;     // pairs where both sides are finite (the sums below run over these)
  sumRef2: number;    // Σ a²
  sumTest2: number;   // Σ b²
  sumDot: number;     // Σ a·b
  sumErr2: number;    // Σ (a−b)²
  sumAbsErr: number;  // Σ |a−b|
  maxAbs: number;     // max |a−b|
  maxRel: number;     // max |a−b| / max(|a|, REL_EPS)
  refMin: number; refMax: number;
  testMin: number; testMax: number;
  refNan: number; refInf: number;
  testNan: number; testInf: number;
}
