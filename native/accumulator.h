// The C++ twin of MetricAccumulator in src/compare/metrics.ts. The CPU reference (cpu_compare.cpp),
// the CUDA kernels (cuda/) and the addon all fill this one struct, so that the TS side sees the same
// fields whichever path computed them. Keep the field meanings in step with metrics.ts.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define TRTDIFF_HD __host__ __device__
#else
#define TRTDIFF_HD
#endif

namespace trtdiff {

// Floor of the relative-error denominator; REL_EPS in metrics.ts.
constexpr double kRelEps = 1e-6;

struct Accumulator {
  // Sums and extrema run over pairs where both sides are finite, exactly as in accumulateArrays.
  double sumRef2, sumTest2, sumDot, sumErr2, sumAbsErr;
  double maxAbs, maxRel;
  double refMin, refMax, testMin, testMax;
  // Counts are integers; 64-bit because one tensor can exceed 2^32 elements.
  std::uint64_t count, finite, refNan, refInf, testNan, testInf;
};

TRTDIFF_HD inline Accumulator emptyAccumulator() {
  const double inf = __builtin_huge_val();  // usable in device code without relaxed constexpr
  return Accumulator{0, 0, 0, 0, 0, 0, 0, inf, -inf, inf, -inf, 0, 0, 0, 0, 0, 0};
}

// Merge `from` into `into`; mergeAccumulators in metrics.ts. Written with `<`/`>` rather than
// fmin/fmax so that both the CPU and GPU paths pick extrema with the same comparison JS uses.
TRTDIFF_HD inline void mergeInto(Accumulator& into, const Accumulator& from) {
  into.sumRef2 += from.sumRef2;
  into.sumTest2 += from.sumTest2;
  into.sumDot += from.sumDot;
  into.sumErr2 += from.sumErr2;
  into.sumAbsErr += from.sumAbsErr;
  if (from.maxAbs > into.maxAbs) into.maxAbs = from.maxAbs;
  if (from.maxRel > into.maxRel) into.maxRel = from.maxRel;
  if (from.refMin < into.refMin) into.refMin = from.refMin;
  if (from.refMax > into.refMax) into.refMax = from.refMax;
  if (from.testMin < into.testMin) into.testMin = from.testMin;
  if (from.testMax > into.testMax) into.testMax = from.testMax;
  into.count += from.count;
  into.finite += from.finite;
  into.refNan += from.refNan;
  into.refInf += from.refInf;
  into.testNan += from.testNan;
  into.testInf += from.testInf;
}

}  // namespace trtdiff
