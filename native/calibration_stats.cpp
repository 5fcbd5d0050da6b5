#include "calibration_stats.h"

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "parallel.h"

namespace trtdiff {
namespace {

// Chunk of the min/max scan: its non-finite count fits 32 bits (keeps the count in vector lanes).
constexpr std::size_t kChunk = std::size_t{1} << 30;

// Consecutive activations often share a bin (runs of zeros after ReLU/SiLU), and one counter array
// would make each increment wait for the previous one; four interleaved arrays break that chain.
constexpr std::size_t kLanes = 4;

// local holds kLanes arrays of bins + 1 counters; the extra one takes NaN and ±Inf (dropped later),
// so the loop body has no branch to mispredict on mixed data.
void countRange(std::uint64_t* local, int bins, double invWidth, const float* data, std::size_t n) {
  const double last = bins - 1;
  const std::size_t stride = std::size_t(bins) + 1;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = data[i];
    const double y = (v < 0 ? -v : v) * invWidth;
    const bool finite = y < INFINITY;  // false for NaN and ±Inf
    const double yc = finite ? y : 0.0;
    // ceil(y) − 1 except that 0 and y ≤ 1 go to bin 0: floor(y), minus one on an exact edge.
    int k = yc < last ? static_cast<int>(yc) : bins - 1;
    k -= (k == yc && k > 0) ? 1 : 0;
    ++local[(i % kLanes) * stride + (finite ? k : bins)];
  }
}

// The histogram loop is ~1 ns per element: threads pay off from about this size on.
constexpr std::size_t kHistogramParallelMin = std::size_t{1} << 16;

__attribute__((target_clones("avx2", "default"))) FiniteRange rangeOf(const float* data, std::size_t n) {
  // Non-finite elements are replaced by values that cannot win and counted apart, so the loop has
  // no branch and vectorizes (the select-compare form maps to min/max instructions). Between 0 and
  // -0 the winner may differ from the TypeScript scan; both have |x| = 0.
  float lo = INFINITY, hi = -INFINITY;
  std::uint32_t bad = 0;
  std::size_t total = 0;
  for (std::size_t start = 0; start < n; start += kChunk) {
    const std::size_t end = std::min(n, start + kChunk);
    for (std::size_t i = start; i < end; ++i) {
      const float v = data[i];
      const bool finite = v - v == 0.0f;  // false for NaN and ±Inf
      bad += finite ? 0u : 1u;
      const float a = finite ? v : INFINITY, b = finite ? v : -INFINITY;
      lo = a < lo ? a : lo;
      hi = b > hi ? b : hi;
    }
    total += bad;
    bad = 0;
  }
  return {lo, hi, total};
}

}  // namespace

FiniteRange finiteRange(const float* data, std::size_t n) {
  const unsigned parts = partCount(n);
  std::vector<FiniteRange> partial(parts, FiniteRange{INFINITY, -INFINITY, 0});
  runParts(n, 1, parts, [&partial, data](unsigned t, std::size_t begin, std::size_t len) {
    partial[t] = rangeOf(data + begin, len);
  });
  FiniteRange r{INFINITY, -INFINITY, 0};
  for (const auto& p : partial) {
    r.min = p.min < r.min ? p.min : r.min;
    r.max = p.max > r.max ? p.max : r.max;
    r.nonFinite += p.nonFinite;
  }
  return r;
}

void addRightClosed(double* counts, int bins, double invWidth, const float* data, std::size_t n) {
  const unsigned parts = partCount(n, kHistogramParallelMin);
  const std::size_t stride = std::size_t(bins) + 1;
  std::vector<std::vector<std::uint64_t>> local(parts, std::vector<std::uint64_t>(kLanes * stride, 0));
  runParts(n, kLanes, parts, [&local, bins, invWidth, data](unsigned t, std::size_t begin, std::size_t len) {
    countRange(local[t].data(), bins, invWidth, data + begin, len);
  });
  for (const auto& part : local)
    for (std::size_t lane = 0; lane < kLanes; ++lane)
      for (int k = 0; k < bins; ++k) counts[k] += static_cast<double>(part[lane * stride + k]);
}

}  // namespace trtdiff
