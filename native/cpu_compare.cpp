#include "cpu_compare.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace trtdiff {
namespace {

// Independent accumulator lanes: the fast loop updates lane k from element i+k, which has no
// loop-carried dependency between lanes, so the compiler can keep them in vector registers.
// More lanes also shorten each FP64 summation chain (better accuracy than one running sum).
constexpr int kLanes = 8;

struct Lanes {
  double sa2[kLanes] = {}, sb2[kLanes] = {}, sab[kLanes] = {}, se2[kLanes] = {}, sae[kLanes] = {};
  double maxAbs[kLanes] = {}, maxRel[kLanes] = {};
  // Extremes stay in float (exact, and twice the lanes per instruction of FP64).
  float aMin[kLanes], aMax[kLanes], bMin[kLanes], bMax[kLanes];
  Lanes() {
    for (int k = 0; k < kLanes; ++k) {
      aMin[k] = bMin[k] = HUGE_VALF;
      aMax[k] = bMax[k] = -HUGE_VALF;
    }
  }
};

// One finite pair. Same operations, in the same precision, as the JS loop body, so that every
// per-element term (d, |d|, rel) is bit-identical to the TS path; only summation order differs.
inline void addFinite(Lanes& l, int k, float xf, float yf) {
  const double x = xf, y = yf;
  const double d = x - y;
  const double ad = d < 0 ? -d : d;
  l.sa2[k] += x * x;
  l.sb2[k] += y * y;
  l.sab[k] += x * y;
  l.se2[k] += d * d;
  l.sae[k] += ad;
  l.maxAbs[k] = ad > l.maxAbs[k] ? ad : l.maxAbs[k];
  const double ax = x < 0 ? -x : x;
  const double rel = ad / (ax > kRelEps ? ax : kRelEps);
  l.maxRel[k] = rel > l.maxRel[k] ? rel : l.maxRel[k];
  l.aMin[k] = xf < l.aMin[k] ? xf : l.aMin[k];
  l.aMax[k] = xf > l.aMax[k] ? xf : l.aMax[k];
  l.bMin[k] = yf < l.bMin[k] ? yf : l.bMin[k];
  l.bMax[k] = yf > l.bMax[k] ? yf : l.bMax[k];
}

// A float is NaN or ±Inf exactly when all its exponent bits are set.
constexpr std::uint32_t kExponent = 0x7f800000u;

struct NonFiniteCounts {
  std::uint64_t pairs = 0;  // pairs with at least one non-finite side
  std::uint64_t refNan = 0, refInf = 0, testNan = 0, testInf = 0;
};

// Returns true when the pair is finite; otherwise counts the non-finite sides (metrics.ts order).
inline bool classify(float x, float y, NonFiniteCounts& c) {
  const bool fx = std::isfinite(x), fy = std::isfinite(y);
  if (fx && fy) return true;
  ++c.pairs;
  if (std::isnan(x))
    ++c.refNan;
  else if (!fx)
    ++c.refInf;
  if (std::isnan(y))
    ++c.testNan;
  else if (!fy)
    ++c.testInf;
  return false;
}

// The test operand as float32: a float array, or 8-bit integers dequantized exactly as
// DequantizeLinear does, (q - zero_point) * scale in float (dequant.h).
struct F32Test {
  const float* p;
  float operator[](std::size_t i) const { return p[i]; }
};
template <typename Int>
struct Q8Test {
  const Int* p;
  float scale;
  std::int32_t zeroPoint;
  float operator[](std::size_t i) const {
    return static_cast<float>(static_cast<std::int32_t>(p[i]) - zeroPoint) * scale;
  }
};

// One block of at most kBlock pairs into `out`. Each instantiation is called from a function
// compiled twice on x86-64 (AVX2 and baseline SSE2, picked at load time by the CPU: AVX2 doubles
// the FP64 lanes per instruction, AVX-512 measured no faster), and the addon still loads on CPUs
// without it.
template <typename Test>
__attribute__((always_inline)) inline void accumulateBlockOf(Accumulator& out, const float* ref, Test test,
                                                             std::size_t n) {
  Lanes lanes;
  NonFiniteCounts nf;
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    // Finiteness of the whole chunk from the exponent bits, as an integer OR that vectorizes (a
    // float sum of x - x probes was a serial chain of 16 dependent adds per chunk).
    float tv[kLanes];
    for (int k = 0; k < kLanes; ++k) tv[k] = test[i + k];
    std::uint32_t rb[kLanes], tb[kLanes];
    std::memcpy(rb, ref + i, sizeof rb);
    std::memcpy(tb, tv, sizeof tb);
    std::uint32_t nonFinite = 0;
    for (int k = 0; k < kLanes; ++k)
      nonFinite |= ((rb[k] & kExponent) == kExponent) | ((tb[k] & kExponent) == kExponent);
    if (nonFinite == 0) {
      for (int k = 0; k < kLanes; ++k) addFinite(lanes, k, ref[i + k], tv[k]);
    } else {
      for (int k = 0; k < kLanes; ++k)
        if (classify(ref[i + k], tv[k], nf)) addFinite(lanes, k, ref[i + k], tv[k]);
    }
  }
  for (int k = 0; i < n; ++i, ++k)
    if (classify(ref[i], test[i], nf)) addFinite(lanes, k, ref[i], test[i]);

  Accumulator part = emptyAccumulator();
  for (int k = 0; k < kLanes; ++k) {
    Accumulator lane = emptyAccumulator();
    lane.sumRef2 = lanes.sa2[k];
    lane.sumTest2 = lanes.sb2[k];
    lane.sumDot = lanes.sab[k];
    lane.sumErr2 = lanes.se2[k];
    lane.sumAbsErr = lanes.sae[k];
    lane.maxAbs = lanes.maxAbs[k];
    lane.maxRel = lanes.maxRel[k];
    lane.refMin = lanes.aMin[k];
    lane.refMax = lanes.aMax[k];
    lane.testMin = lanes.bMin[k];
    lane.testMax = lanes.bMax[k];
    mergeInto(part, lane);
  }
  part.count = n;
  part.refNan = nf.refNan;
  part.refInf = nf.refInf;
  part.testNan = nf.testNan;
  part.testInf = nf.testInf;
  part.finite = n - nf.pairs;
  mergeInto(out, part);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TRTDIFF_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TRTDIFF_CLONES
#endif
TRTDIFF_CLONES void accumulateBlock(Accumulator& out, const float* ref, F32Test test, std::size_t n) {
  accumulateBlockOf(out, ref, test, n);
}
TRTDIFF_CLONES void accumulateBlock(Accumulator& out, const float* ref, Q8Test<std::int8_t> test,
                                    std::size_t n) {
  accumulateBlockOf(out, ref, test, n);
}
TRTDIFF_CLONES void accumulateBlock(Accumulator& out, const float* ref, Q8Test<std::uint8_t> test,
                                    std::size_t n) {
  accumulateBlockOf(out, ref, test, n);
}

// Pairs per block. Each block starts fresh lane sums, so a lane never sums more than kBlock/kLanes
// terms before its total joins the running sums: this blocked summation keeps the FP64 rounding
// error of a 2^26-element tensor near 1e-14 (relative) instead of ~3e-11 for one chain per lane.
constexpr std::size_t kBlock = 8192;

}  // namespace

namespace {

template <typename Test>
Test offset(Test t, std::size_t by) {
  t.p += by;
  return t;
}

template <typename Test>
void accumulateRange(Accumulator& acc, const float* ref, Test test, std::size_t n) {
  for (std::size_t start = 0; start < n; start += kBlock) {
    const std::size_t len = n - start < kBlock ? n - start : kBlock;
    accumulateBlock(acc, ref + start, offset(test, start), len);
  }
}

// Large tensors are split over the cores in block-aligned parts merged in order (parallel.h).
template <typename Test>
void accumulateAll(Accumulator& acc, const float* ref, Test test, std::size_t n) {
  const unsigned parts = partCount(n);
  if (parts == 1) {
    accumulateRange(acc, ref, test, n);
    return;
  }
  std::vector<Accumulator> partial(parts, emptyAccumulator());
  runParts(n, kBlock, parts, [&partial, ref, test](unsigned t, std::size_t begin, std::size_t len) {
    accumulateRange(partial[t], ref + begin, offset(test, begin), len);
  });
  for (const auto& p : partial) mergeInto(acc, p);
}

}  // namespace

void accumulateF32(Accumulator& acc, const float* ref, const float* test, std::size_t n) {
  accumulateAll(acc, ref, F32Test{test}, n);
}

void accumulateQ8(Accumulator& acc, const float* ref, const void* test, bool isSigned, float scale,
                  std::int32_t zeroPoint, std::size_t n) {
  if (isSigned)
    accumulateAll(acc, ref, Q8Test<std::int8_t>{static_cast<const std::int8_t*>(test), scale, zeroPoint}, n);
  else
    accumulateAll(acc, ref, Q8Test<std::uint8_t>{static_cast<const std::uint8_t*>(test), scale, zeroPoint},
                  n);
}

}  // namespace trtdiff
