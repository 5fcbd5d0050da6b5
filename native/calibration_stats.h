// CPU fast paths of the calibration pass (src/quant), each giving exactly what its TypeScript
// counterpart gives.
//
// addRightClosed: the calibrators' |x| histogram add (src/quant/histogram.ts AbsHistogram.add):
// right-closed bins (bin 0 = [0, w], bin k = (k·w, (k+1)·w]), y = |x| · invWidth in FP64,
// non-finite values skipped, values past the last bin counted in it ('saturate' mode). Range
// growth stays in TypeScript; this is the per-element loop. (native/abs_histogram.h is a different
// histogram: the left-closed one the CUDA kernels share with their CPU reference.)
#pragma once

#include <cstddef>

namespace trtdiff {

// Adds the counts of data[0..n) to counts[0..bins) (bins ≥ 2).
void addRightClosed(double* counts, int bins, double invWidth, const float* data, std::size_t n);

// foldMinMax's scan (src/quant/activation-collector.ts): min and max of the finite elements
// (+Inf / -Inf when there are none) and the number of non-finite ones.
struct FiniteRange {
  float min;
  float max;
  std::size_t nonFinite;
};
FiniteRange finiteRange(const float* data, std::size_t n);

}  // namespace trtdiff
