// |x| histogram with TensorRT-calibrator-style range growth, shared by the CPU reference and the
// CUDA kernels. The range [0, rangeMax] is split into kHistBins equal bins; when a batch's max|x|
// exceeds rangeMax, the range doubles until it covers and existing counts are re-binned by merging
// adjacent pairs (one merge per doubling), so earlier batches never need to be revisited.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "accumulator.h"  // TRTDIFF_HD

namespace trtdiff {

constexpr int kHistBins = 2048;

// Bin of |v| for a range of kHistBins / binsPerUnit. The index is computed in FP64 on both CPU and
// GPU from the same binsPerUnit value, so both sides bin every value identically; |v| == rangeMax
// (and rounding just above it) lands in the last bin.
TRTDIFF_HD inline int absBin(float v, double binsPerUnit) {
  const double a = v < 0 ? -static_cast<double>(v) : static_cast<double>(v);
  const double b = a * binsPerUnit;
  return b >= kHistBins ? kHistBins - 1 : static_cast<int>(b);
}

// A zero range (nothing but zeros seen so far) puts everything in bin 0.
inline double binsPerUnitOf(double rangeMax) {
  return rangeMax > 0 ? kHistBins / rangeMax : 0.0;
}

struct AbsHistogram {
  std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(kHistBins, 0);
  double rangeMax = 0;  // 0 until the first non-zero value
};

// Number of doublings of rangeMax needed to cover batchMax; the first non-zero batch sets the range
// to its own max instead (returned as -1, meaning "adopt batchMax, nothing to re-bin").
int doublingsToCover(double rangeMax, double batchMax);

// Applies `doublings` pair-merges at once: bin i gathers old bins [i·2^d, (i+1)·2^d).
void mergeBins(std::uint64_t* counts, int doublings);

// Grows h to cover batchMax (re-binning its counts); returns the number of doublings applied.
int growToCover(AbsHistogram& h, double batchMax);

// Adds the finite values of data[0..n) to h (NaN/Inf are skipped: the accumulator counts them).
void addToHistogram(AbsHistogram& h, const float* data, std::size_t n);

}  // namespace trtdiff
