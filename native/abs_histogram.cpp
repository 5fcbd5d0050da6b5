#include "abs_histogram.h"

#include <cmath>

namespace trtdiff {

int doublingsToCover(double rangeMax, double batchMax) {
  if (!(batchMax > rangeMax)) return 0;
  if (rangeMax == 0) return -1;
  int d = 0;
  for (double r = rangeMax; r < batchMax; r *= 2) ++d;
  return d;
}

void mergeBins(std::uint64_t* counts, int doublings) {
  if (doublings <= 0) return;
  if (doublings >= 12) doublings = 12;  // 2^11 bins collapse into bin 0 after 11 merges
  const int group = 1 << doublings;
  for (int i = 0; i < kHistBins; ++i) {
    std::uint64_t s = 0;
    for (int j = i * group; j < (i + 1) * group && j < kHistBins; ++j) s += counts[j];
    counts[i] = s;  // j >= i always, so reading after writing bin i is safe
  }
}

int growToCover(AbsHistogram& h, double batchMax) {
  const int d = doublingsToCover(h.rangeMax, batchMax);
  if (d < 0) {
    h.rangeMax = batchMax;
    return 0;
  }
  mergeBins(h.counts.data(), d);
  h.rangeMax = std::ldexp(h.rangeMax, d);
  return d;
}

void addToHistogram(AbsHistogram& h, const float* data, std::size_t n) {
  double batchMax = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = std::fabs(static_cast<double>(data[i]));
    if (std::isfinite(a) && a > batchMax) batchMax = a;
  }
  growToCover(h, batchMax);
  const double binsPerUnit = binsPerUnitOf(h.rangeMax);
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(data[i])) ++h.counts[absBin(data[i], binsPerUnit)];
}

}  // namespace trtdiff
