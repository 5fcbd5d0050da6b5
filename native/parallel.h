// Splitting a large array over the cores for the CPU passes (compare, calibration histogram). The
// JS thread waits for these calls and ONNX Runtime is idle meanwhile, so the cores are free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace trtdiff {

// Below this many elements one thread is faster than starting others (thread start ~tens of µs).
constexpr std::size_t kParallelMin = std::size_t{1} << 20;

// How many parts runParts will use for n elements: one per core (at most 8), or 1 below
// `minParallel` (where starting threads costs more than it saves for that loop).
inline unsigned partCount(std::size_t n, std::size_t minParallel = kParallelMin) {
  const unsigned cores = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  return n < minParallel ? 1 : cores;
}

// Runs fn(part, begin, len) over `parts` contiguous ranges of [0, n) whose boundaries are multiples
// of `align` (part 0 on the calling thread). The split depends only on n, align and parts, so
// callers that merge per-part results in part order get results independent of timing.
template <class Fn>
void runParts(std::size_t n, std::size_t align, unsigned parts, Fn&& fn) {
  if (parts <= 1) {
    fn(0u, std::size_t{0}, n);
    return;
  }
  const std::size_t units = (n + align - 1) / align;
  const std::size_t perPart = (units + parts - 1) / parts * align;
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < parts; ++t) {
    const std::size_t begin = t * perPart;
    if (begin >= n) break;
    const std::size_t len = std::min(perPart, n - begin);
    workers.emplace_back([&fn, t, begin, len] { fn(t, begin, len); });
  }
  fn(0u, std::size_t{0}, std::min(perPart, n));
  for (auto& w : workers) w.join();
}

}  // namespace trtdiff
