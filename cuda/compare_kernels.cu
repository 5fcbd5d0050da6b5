// Fused single-pass comparison of a float32 reference against a float32/float16/int8 test buffer.
// Every field of MetricAccumulator comes out of one read of both buffers: per-element terms in FP64,
// per-thread FP64 partial sums, then a block reduction and a last-block-done final reduction, so
// one launch per tensor pair produces the finished accumulator in device memory.
//
// Two loops feed the same per-element code. The direct loop loads into registers, kUnroll float4
// pairs at a time. The staged loop (large, 16-byte-aligned pairs; int8 by default, see gStaging)
// streams whole tiles into shared memory with cp.async, TRTDIFF_STAGES tiles per block in flight, so
// that the bytes in flight no longer depend on the registers the FP64 code leaves free.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "compare_api.h"
#include "device_reduce.cuh"

namespace trtdiff {
namespace {

// Block size and vector loads per operand issued before the first use (several 16-byte requests in
// flight per thread is what a memory-bound loop needs to reach full HBM bandwidth). Overridable only
// so that bench/cuda/run_device.sh can sweep them; the defaults are the measured best on H100.
#ifndef TRTDIFF_COMPARE_THREADS
#define TRTDIFF_COMPARE_THREADS 256
#endif
#ifndef TRTDIFF_COMPARE_UNROLL
#define TRTDIFF_COMPARE_UNROLL 2
#endif
#ifndef TRTDIFF_COMPARE_MIN_BLOCKS
#define TRTDIFF_COMPARE_MIN_BLOCKS 3
#endif
constexpr int kThreads = TRTDIFF_COMPARE_THREADS;
// Resident blocks per SM the compiler must allow for: caps registers at 80 per thread. Without the
// cap the straight-line FP64 code takes 98-168 registers, and the resulting low occupancy cost
// 6-17% of bandwidth in the H100 sweep (bench/README-cuda.md).
constexpr int kMinBlocks = TRTDIFF_COMPARE_MIN_BLOCKS;
constexpr int kUnroll = TRTDIFF_COMPARE_UNROLL;

// Staged loop: tiles in flight per block, resident blocks per SM (caps registers at 65536 /
// (kThreads * that)), float4 pairs handed to the FP64 code at a time, and reference float4 per
// thread per tile for each test dtype (a tile is kThreads * units * 4 elements).
#ifndef TRTDIFF_STAGES
#define TRTDIFF_STAGES 4
#endif
#ifndef TRTDIFF_STAGED_MIN_BLOCKS
#define TRTDIFF_STAGED_MIN_BLOCKS 2
#endif
#ifndef TRTDIFF_STAGED_SUB
#define TRTDIFF_STAGED_SUB 2
#endif
#ifndef TRTDIFF_UNITS_F32
#define TRTDIFF_UNITS_F32 2
#endif
#ifndef TRTDIFF_UNITS_F16
#define TRTDIFF_UNITS_F16 4
#endif
#ifndef TRTDIFF_UNITS_I8
#define TRTDIFF_UNITS_I8 4
#endif
constexpr int kStages = TRTDIFF_STAGES;
constexpr int kStagedMinBlocks = TRTDIFF_STAGED_MIN_BLOCKS;
constexpr int kSub = TRTDIFF_STAGED_SUB;
static_assert(kStages >= 2, "the staged loop needs at least two tiles per block");

// Which test dtypes launchCompare sends through the staged loop (bit 1 << TestDType). Default: int8
// only. Measured on H100 (bench/README.md §5), the staged loop was 0.6-1.6 points of the D2D copy
// ahead for int8 and 8-10 points behind for f32/f16. The benchmark and the kernel test switch it
// through setCompareStaging to time and check both loops.
#ifndef TRTDIFF_COMPARE_STAGED
#define TRTDIFF_COMPARE_STAGED (1 << 2)
#endif
int gStaging = TRTDIFF_COMPARE_STAGED;

// Per-thread running state: FP64 sums, float extrema (exact: every value is a float), 32-bit
// counters (a thread never sees 2^32 elements).
struct ThreadAcc {
  double sa2 = 0, sb2 = 0, sab = 0, se2 = 0, sae = 0, maxAbs = 0, maxRel = 0;
  float aMin = __builtin_huge_valf(), aMax = -__builtin_huge_valf();
  float bMin = __builtin_huge_valf(), bMax = -__builtin_huge_valf();
  unsigned finite = 0, aNan = 0, aInf = 0, bNan = 0, bInf = 0;

  __device__ Accumulator toAccumulator() const {
    return Accumulator{sa2, sb2, sab, se2, sae, maxAbs, maxRel, aMin, aMax, bMin, bMax,
                       0, finite, aNan, aInf, bNan, bInf};
  }
};

// The FP64 sums of a finite pair, shared by both paths below; returns |d|.
__device__ __forceinline__ double addSums(ThreadAcc& t, float xf, float yf) {
  const double x = xf, y = yf;
  const double d = x - y;
  const double ad = fabs(d);
  t.sa2 += x * x;
  t.sb2 += y * y;
  t.sab += x * y;
  t.se2 += d * d;
  t.sae += ad;
  return ad;
}

// One element pair, with the branch structure and FP64 arithmetic of accumulateArrays (metrics.ts).
// The general path: used for chunks that hold a NaN/Inf, and for scalar remainders.
__device__ __forceinline__ void addPair(ThreadAcc& t, float xf, float yf) {
  if (!isfinite(xf) || !isfinite(yf)) {
    if (isnan(xf)) ++t.aNan; else if (!isfinite(xf)) ++t.aInf;
    if (isnan(yf)) ++t.bNan; else if (!isfinite(yf)) ++t.bInf;
    return;
  }
  ++t.finite;
  const double x = xf;
  const double ad = addSums(t, xf, yf);
  if (ad > t.maxAbs) t.maxAbs = ad;
  const double ax = fabs(x);
  const double rel = ad / (ax > kRelEps ? ax : kRelEps);
  if (rel > t.maxRel) t.maxRel = rel;
  if (xf < t.aMin) t.aMin = xf;
  if (xf > t.aMax) t.aMax = xf;
  if (yf < t.bMin) t.bMin = yf;
  if (yf > t.bMax) t.bMax = yf;
}

// A finite pair on the fast path: straight-line code (no per-element branch, so the compiler can
// interleave the FP64 chains of a whole chunk), and neither an FP64 division nor an FP64 max.
// Instead it flags `candidate` when |d| could exceed mAbs or |d|/den could exceed m, the running
// max|d| and maxRel at the chunk's start; a flagged chunk recomputes both maxima exactly
// (updateMaxima). The relative test flags exactly the pairs with ad > m·den (den = max(|x|, eps)):
// fma(m, den, -ad) rounds the exact m·den - ad once, and rounding keeps the sign of any value
// larger than 2^-1075 in magnitude. A pair whose quotient can raise the maximum, fl(ad/den) > m,
// has ad - m·den >= den·ulp(m)/2 >= 2^-350 (m is 0 or at least 2^-277: float differences over float
// magnitudes), so it is always flagged; ties (ad == m·den, common with quantized data: y == 0
// gives rel == 1 exactly) are not, which keeps the divergent recompute rare.
__device__ __forceinline__ void addFinitePair(ThreadAcc& t, float xf, float yf, double mAbs, double m,
                                              bool& candidate) {
  const double ad = addSums(t, xf, yf);
  const double ax = fabs(static_cast<double>(xf));
  const double den = ax > kRelEps ? ax : kRelEps;
  candidate |= (ad > mAbs) | (fma(m, den, -ad) < 0.0);
  t.aMin = fminf(t.aMin, xf);
  t.aMax = fmaxf(t.aMax, xf);
  t.bMin = fminf(t.bMin, yf);
  t.bMax = fmaxf(t.bMax, yf);
}

// The exact |d| and relative error of a finite pair, for chunks that flagged a candidate (rare once
// the running maxima have settled). Max is order-independent, so the result is the per-element
// loop's. The division runs only for pairs that pass addFinitePair's exact test against the
// running maximum (TRTDIFF_CANDIDATE_DIVIDE_ALL=1 divides for every pair of the chunk, the earlier
// form): a flagged chunk usually holds one such pair, and the other threads of the warp wait for
// whatever the flagged ones execute.
#ifndef TRTDIFF_CANDIDATE_DIVIDE_ALL
#define TRTDIFF_CANDIDATE_DIVIDE_ALL 0
#endif
__device__ __forceinline__ void updateMaxima(ThreadAcc& t, float xf, float yf) {
  const double x = xf;
  const double ad = fabs(x - static_cast<double>(yf));
  if (ad > t.maxAbs) t.maxAbs = ad;
  const double ax = fabs(x);
  const double den = ax > kRelEps ? ax : kRelEps;
  if (TRTDIFF_CANDIDATE_DIVIDE_ALL || fma(t.maxRel, den, -ad) < 0.0) {
    const double rel = ad / den;
    if (rel > t.maxRel) t.maxRel = rel;
  }
}

// Largest |bits| of a float4: below 0x7f800000 exactly when all four values are finite.
__device__ __forceinline__ unsigned maxMagnitudeBits(const float4& v) {
  const unsigned m = 0x7fffffffu;
  return max(max(__float_as_uint(v.x) & m, __float_as_uint(v.y) & m),
             max(__float_as_uint(v.z) & m, __float_as_uint(v.w) & m));
}

// K float4 pairs already in registers. One (almost always uniform) branch per chunk picks the
// straight-line finite path; a chunk holding NaN/Inf takes the general per-element path.
// TestFinite: the test side cannot hold NaN/Inf (an int8 operand whose scale keeps every
// dequantized value finite, checked at launch), so only the reference is tested.
template <int K, bool TestFinite = false>
__device__ __forceinline__ void addChunk(ThreadAcc& t, const float4 (&a)[K], const float4 (&b)[K]) {
  unsigned worst = 0;
#pragma unroll
  for (int u = 0; u < K; ++u) {
    worst = max(worst, maxMagnitudeBits(a[u]));
    if (!TestFinite) worst = max(worst, maxMagnitudeBits(b[u]));
  }
  if (worst < 0x7f800000u) {
    const double mAbs = t.maxAbs, m = t.maxRel;
    bool candidate = false;
#pragma unroll
    for (int u = 0; u < K; ++u) {
      addFinitePair(t, a[u].x, b[u].x, mAbs, m, candidate);
      addFinitePair(t, a[u].y, b[u].y, mAbs, m, candidate);
      addFinitePair(t, a[u].z, b[u].z, mAbs, m, candidate);
      addFinitePair(t, a[u].w, b[u].w, mAbs, m, candidate);
    }
    t.finite += 4 * K;
    if (candidate) {
      for (int u = 0; u < K; ++u) {
        updateMaxima(t, a[u].x, b[u].x);
        updateMaxima(t, a[u].y, b[u].y);
        updateMaxima(t, a[u].z, b[u].z);
        updateMaxima(t, a[u].w, b[u].w);
      }
    }
  } else {
    for (int u = 0; u < K; ++u) {
      addPair(t, a[u].x, b[u].x);
      addPair(t, a[u].y, b[u].y);
      addPair(t, a[u].z, b[u].z);
      addPair(t, a[u].w, b[u].w);
    }
  }
}

// Test-side loaders: the raw vector holding 4 consecutive elements, its widening to float4 (the
// values the CPU reference sees, native/dequant.h), and single elements.
template <TestDType T>
struct Loader;

template <>
struct Loader<TestDType::F32> {
  using Vec = float4;
  __device__ static float4 widen(const Vec& v, const TestOperand&) { return v; }
  __device__ static float load1(const TestOperand& op, std::uint64_t i) {
    return __ldg(static_cast<const float*>(op.data) + i);
  }
};

template <>
struct Loader<TestDType::F16> {
  using Vec = uint2;
  __device__ static float4 widen(const Vec& raw, const TestOperand&) {
    const float2 lo = __half22float2(*reinterpret_cast<const __half2*>(&raw.x));
    const float2 hi = __half22float2(*reinterpret_cast<const __half2*>(&raw.y));
    return make_float4(lo.x, lo.y, hi.x, hi.y);
  }
  __device__ static float load1(const TestOperand& op, std::uint64_t i) {
    return __half2float(static_cast<const __half*>(op.data)[i]);
  }
};

template <>
struct Loader<TestDType::I8> {
  using Vec = char4;
  __device__ static float4 widen(const Vec& q, const TestOperand& op) {
    return make_float4(dequantInt8(q.x, op.scale, op.zeroPoint), dequantInt8(q.y, op.scale, op.zeroPoint),
                       dequantInt8(q.z, op.scale, op.zeroPoint), dequantInt8(q.w, op.scale, op.zeroPoint));
  }
  __device__ static float load1(const TestOperand& op, std::uint64_t i) {
    return dequantInt8(static_cast<const std::int8_t*>(op.data)[i], op.scale, op.zeroPoint);
  }
};

template <TestDType T>
constexpr int kVecBytes = static_cast<int>(sizeof(typename Loader<T>::Vec));

template <TestDType T>
__device__ __forceinline__ float4 load4(const TestOperand& op, std::uint64_t v) {
  using L = Loader<T>;
  return L::widen(__ldg(static_cast<const typename L::Vec*>(op.data) + v), op);
}

__host__ __device__ __forceinline__ bool alignedTo(const void* p, int bytes) {
  return (reinterpret_cast<std::uintptr_t>(p) & static_cast<std::uintptr_t>(bytes - 1)) == 0;
}

// Strided pass of thread `tid` of `nthreads` over n pairs: float4 body when both operands are
// vector-aligned (always true for cudaMalloc/TensorRT buffers), scalar remainder or fallback.
template <TestDType T, bool TestFinite = false>
__device__ void accumulateRange(ThreadAcc& t, const float* ref, const TestOperand& test, std::uint64_t n,
                                std::uint64_t tid, std::uint64_t nthreads) {
  using L = Loader<T>;
  std::uint64_t scalarStart = 0;
  if (alignedTo(ref, 16) && alignedTo(test.data, kVecBytes<T>)) {
    const float4* ref4 = reinterpret_cast<const float4*>(ref);
    const std::uint64_t nv = n / 4;
    std::uint64_t v = tid;
    for (; v + (kUnroll - 1) * nthreads < nv; v += kUnroll * nthreads) {
      float4 a[kUnroll], b[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        a[u] = __ldg(ref4 + v + u * nthreads);
        b[u] = load4<T>(test, v + u * nthreads);
      }
      addChunk<kUnroll, TestFinite>(t, a, b);
    }
    for (; v < nv; v += nthreads) {
      const float4 a[1] = {__ldg(ref4 + v)}, b[1] = {load4<T>(test, v)};
      addChunk<1, TestFinite>(t, a, b);
    }
    scalarStart = nv * 4;
  }
  for (std::uint64_t i = scalarStart + tid; i < n; i += nthreads) addPair(t, __ldg(ref + i), L::load1(test, i));
}

// Block reduction, then last-block-done: each block publishes its partial, and the block that
// takes the final ticket reduces all partials, which saves a second launch and keeps the
// summation order fixed.
__device__ __forceinline__ void finishGrid(const ThreadAcc& t, std::uint64_t n, Accumulator* partials,
                                           unsigned int* ticket, Accumulator* out) {
  const Accumulator blockAcc = device::blockReduce<kThreads>(t.toAccumulator());
  __shared__ bool isLast;
  if (threadIdx.x == 0) {
    partials[blockIdx.x] = blockAcc;
    __threadfence();
    isLast = atomicAdd(ticket, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (!isLast) return;
  __threadfence();
  Accumulator a = emptyAccumulator();
  for (unsigned b = threadIdx.x; b < gridDim.x; b += kThreads) mergeInto(a, device::loadCoherent(partials + b));
  a = device::blockReduce<kThreads>(a);
  if (threadIdx.x == 0) {
    a.count = n;
    *out = a;
    *ticket = 0;  // ready for the next launch on this scratch
  }
}

template <TestDType T, bool TestFinite>
__global__ void __launch_bounds__(kThreads, kMinBlocks) compareKernel(const float* __restrict__ ref, TestOperand test,
                                                          std::uint64_t n, Accumulator* partials,
                                                          unsigned int* ticket, Accumulator* out) {
  ThreadAcc t;
  accumulateRange<T, TestFinite>(t, ref, test, n, std::uint64_t(blockIdx.x) * kThreads + threadIdx.x,
                                 std::uint64_t(gridDim.x) * kThreads);
  finishGrid(t, n, partials, ticket, out);
}

// ---- Staged loop ----------------------------------------------------------------------------

// cp.async exists from sm_80 on; the compute_75 PTX of the default build gets plain copies
// instead (stagedGrid never picks the staged kernel there, so they only keep the code valid).
__device__ __forceinline__ void cpAsync16(void* dst, const void* src) {
#if __CUDA_ARCH__ >= 800
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(src) : "memory");
#else
  *static_cast<uint4*>(dst) = *static_cast<const uint4*>(src);
#endif
}
__device__ __forceinline__ void cpAsyncCommit() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N>
__device__ __forceinline__ void cpAsyncWait() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

template <TestDType T>
constexpr int kUnits = T == TestDType::F32 ? TRTDIFF_UNITS_F32 : T == TestDType::F16 ? TRTDIFF_UNITS_F16 : TRTDIFF_UNITS_I8;

// One tile: kThreads * units float4 of reference (kRefBytes, contiguous) and the matching test
// vectors (kTestBytes, contiguous), each copied in 16-byte pieces, piece k by thread k % kThreads.
// In shared memory both keep their global layout, so thread t's u-th float4 pair is at index
// u * kThreads + t: conflict-free, and the same pairs as the direct loop's coalesced pattern.
template <TestDType T>
struct Tile {
  static constexpr int kUnits = trtdiff::kUnits<T>;
  static constexpr std::uint64_t kElems = std::uint64_t(kThreads) * kUnits * 4;
  static constexpr int kRefBytes = kThreads * kUnits * 16;
  static constexpr int kTestBytes = kThreads * kUnits * kVecBytes<T>;
  static constexpr int kTestCopies = kUnits * kVecBytes<T> / 16;  // 16-byte pieces per thread
  static constexpr int kStageBytes = kRefBytes + kTestBytes;
  static constexpr int kSmemBytes = kStages * kStageBytes;
  static constexpr int kSub = trtdiff::kSub < kUnits ? trtdiff::kSub : kUnits;  // float4 pairs per addChunk
  static_assert(kUnits % kSub == 0, "units per tile must be a multiple of the chunk size");
  static_assert(kUnits * kVecBytes<T> % 16 == 0, "each thread copies whole 16-byte pieces of test data");
};

// Needs ref and test.data 16-byte aligned. Block b takes tiles b, b + grid, ...; kStages - 1 tiles
// are in flight while one is computed. The elements past the last whole tile go through the direct
// loop, spread over the grid.
template <TestDType T, bool TestFinite>
__global__ void __launch_bounds__(kThreads, kStagedMinBlocks)
    compareStagedKernel(const float* __restrict__ ref, TestOperand test, std::uint64_t n, Accumulator* partials,
                        unsigned int* ticket, Accumulator* out) {
  using TL = Tile<T>;
  using Vec = typename Loader<T>::Vec;
  extern __shared__ float4 stagedSmem[];
  unsigned char* smem = reinterpret_cast<unsigned char*>(stagedSmem);
  const unsigned char* gRef = reinterpret_cast<const unsigned char*>(ref);
  const unsigned char* gTest = static_cast<const unsigned char*>(test.data);
  const std::uint64_t tiles = n / TL::kElems;
  const std::uint64_t grid = gridDim.x;

  // Always commits a group, empty past the last tile, so that group i is tile i of this block.
  auto issue = [&](std::uint64_t tile, int stage) {
    if (tile < tiles) {
      unsigned char* s = smem + stage * TL::kStageBytes;
      const unsigned char* r = gRef + tile * TL::kRefBytes;
      const unsigned char* q = gTest + tile * TL::kTestBytes;
#pragma unroll
      for (int k = 0; k < TL::kUnits; ++k) {
        const int off = (k * kThreads + threadIdx.x) * 16;
        cpAsync16(s + off, r + off);
      }
#pragma unroll
      for (int k = 0; k < TL::kTestCopies; ++k) {
        const int off = (k * kThreads + threadIdx.x) * 16;
        cpAsync16(s + TL::kRefBytes + off, q + off);
      }
    }
    cpAsyncCommit();
  };

  ThreadAcc t;
  std::uint64_t tile = blockIdx.x;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) issue(tile + s * grid, s);
  int stage = 0;
  for (; tile < tiles; tile += grid) {
    cpAsyncWait<kStages - 2>();  // this thread's pieces of this tile have landed
    __syncthreads();             // everyone's have; and the stage refilled below is no longer read
    issue(tile + (kStages - 1) * grid, stage == 0 ? kStages - 1 : stage - 1);
    const float4* sRef = reinterpret_cast<const float4*>(smem + stage * TL::kStageBytes);
    const Vec* sTest = reinterpret_cast<const Vec*>(smem + stage * TL::kStageBytes + TL::kRefBytes);
#pragma unroll
    for (int u = 0; u < TL::kUnits; u += TL::kSub) {
      float4 a[TL::kSub], b[TL::kSub];
#pragma unroll
      for (int j = 0; j < TL::kSub; ++j) {
        a[j] = sRef[(u + j) * kThreads + threadIdx.x];
        b[j] = Loader<T>::widen(sTest[(u + j) * kThreads + threadIdx.x], test);
      }
      addChunk<TL::kSub, TestFinite>(t, a, b);
    }
    stage = stage == kStages - 1 ? 0 : stage + 1;
  }
  cpAsyncWait<0>();  // only empty groups can be left; nothing outstanding when the block exits

  const std::uint64_t done = tiles * TL::kElems;
  TestOperand rest = test;
  rest.data = gTest + tiles * TL::kTestBytes;
  accumulateRange<T, TestFinite>(t, ref + done, rest, n - done, std::uint64_t(blockIdx.x) * kThreads + threadIdx.x,
                                 grid * kThreads);
  finishGrid(t, n, partials, ticket, out);
}

template <TestDType T>
__device__ void comparePair(const PairDesc& d, Accumulator* out) {
  ThreadAcc t;
  accumulateRange<T>(t, d.ref, d.test, d.n, threadIdx.x, kThreads);
  Accumulator a = device::blockReduce<kThreads>(t.toAccumulator());
  if (threadIdx.x == 0) {
    a.count = d.n;
    *out = a;
  }
}

__global__ void __launch_bounds__(kThreads, kMinBlocks) compareBatchKernel(const PairDesc* __restrict__ descs,
                                                               std::uint32_t count, Accumulator* out) {
  for (std::uint32_t p = blockIdx.x; p < count; p += gridDim.x) {
    const PairDesc d = descs[p];
    switch (d.test.dtype) {
      case TestDType::F32: comparePair<TestDType::F32>(d, out + p); break;
      case TestDType::F16: comparePair<TestDType::F16>(d, out + p); break;
      case TestDType::I8: comparePair<TestDType::I8>(d, out + p); break;
    }
  }
}

// True when every dequantized value (q - zp) * scale, q in [-128, 127], is finite: rounding is
// monotonic, so |fl(float(q - zp) * scale)| <= fl(float(kmax) * |scale|) for the largest |q - zp|.
bool int8AlwaysFinite(float scale, std::int32_t zeroPoint) {
  if (!(scale - scale == 0.0f) || zeroPoint < -(1 << 24) || zeroPoint > (1 << 24)) return false;
  const std::int32_t lo = -128 - zeroPoint, hi = 127 - zeroPoint;
  const std::int32_t kmax = (lo < 0 ? -lo : lo) > (hi < 0 ? -hi : hi) ? (lo < 0 ? -lo : lo) : (hi < 0 ? -hi : hi);
  const float bound = static_cast<float>(kmax) * (scale < 0 ? -scale : scale);
  return bound - bound == 0.0f;
}

template <TestDType T, bool TestFinite>
cudaError_t launchTyped(const float* dRef, const TestOperand& test, std::uint64_t n, Accumulator* dOut,
                        const CompareScratch& s, cudaStream_t stream) {
  using TL = Tile<T>;
  const int staged = s.stagedBlocks[static_cast<int>(T)];
  const bool stagedOn = (gStaging >> static_cast<int>(T) & 1) != 0;
  if (stagedOn && staged > 0 && n >= TL::kElems && alignedTo(dRef, 16) && alignedTo(test.data, 16)) {
    std::uint64_t blocks = n / TL::kElems;
    if (blocks > std::uint64_t(staged)) blocks = staged;
    compareStagedKernel<T, TestFinite><<<static_cast<unsigned>(blocks), kThreads, TL::kSmemBytes, stream>>>(
        dRef, test, n, s.dPartials, s.dTicket, dOut);
    return cudaGetLastError();
  }
  // Enough blocks to fill the machine, but no more than the work needs (a block-sized chunk each).
  const std::uint64_t perBlock = std::uint64_t(kThreads) * 4 * kUnroll;
  std::uint64_t blocks = (n + perBlock - 1) / perBlock;
  if (blocks < 1) blocks = 1;
  if (blocks > std::uint64_t(s.maxBlocks)) blocks = s.maxBlocks;
  compareKernel<T, TestFinite><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(dRef, test, n, s.dPartials,
                                                                                        s.dTicket, dOut);
  return cudaGetLastError();
}

// Opts the staged kernels into their shared memory and returns how many blocks of each fill the
// device (0: the staged loop is not used for that dtype).
template <TestDType T>
cudaError_t stagedGrid(int device, int sms, int* blocks) {
  *blocks = 0;
  int major = 0, perSm = 0;
  cudaError_t e0 = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (e0 != cudaSuccess) return e0;
  if (major < 8) return cudaSuccess;  // no cp.async
  for (auto kernel : {compareStagedKernel<T, false>, compareStagedKernel<T, true>}) {
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Tile<T>::kSmemBytes);
    if (e != cudaSuccess) {
      cudaGetLastError();  // a device with less shared memory: the direct loop only
      return cudaSuccess;
    }
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, kernel, kThreads, Tile<T>::kSmemBytes);
    if (e != cudaSuccess) return e;
  }
  *blocks = sms * perSm;
  return cudaSuccess;
}

}  // namespace

void setCompareStaging(int dtypeMask) { gStaging = dtypeMask; }
int compareStaging() { return gStaging; }

cudaError_t createCompareScratch(int device, CompareScratch* s) {
  int sms = 0, perSm = 0;
  cudaError_t e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e != cudaSuccess) return e;
  e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, compareKernel<TestDType::F32, false>, kThreads, 0);
  if (e != cudaSuccess) return e;
  s->maxBlocks = sms * (perSm > 0 ? perSm : 1);
  s->threads = kThreads;
  if ((e = stagedGrid<TestDType::F32>(device, sms, &s->stagedBlocks[0])) != cudaSuccess) return e;
  if ((e = stagedGrid<TestDType::F16>(device, sms, &s->stagedBlocks[1])) != cudaSuccess) return e;
  if ((e = stagedGrid<TestDType::I8>(device, sms, &s->stagedBlocks[2])) != cudaSuccess) return e;
  const int partials = std::max({s->maxBlocks, s->stagedBlocks[0], s->stagedBlocks[1], s->stagedBlocks[2]});
  e = cudaMalloc(&s->dPartials, sizeof(Accumulator) * partials);
  if (e != cudaSuccess) return e;
  e = cudaMalloc(&s->dTicket, sizeof(unsigned int));
  if (e != cudaSuccess) return e;
  return cudaMemset(s->dTicket, 0, sizeof(unsigned int));
}

void destroyCompareScratch(CompareScratch* s) {
  cudaFree(s->dPartials);
  cudaFree(s->dTicket);
  *s = CompareScratch{};
}

cudaError_t launchCompare(const float* dRef, const TestOperand& test, std::uint64_t n, Accumulator* dOut,
                          const CompareScratch& scratch, cudaStream_t stream) {
  switch (test.dtype) {
    case TestDType::F32: return launchTyped<TestDType::F32, false>(dRef, test, n, dOut, scratch, stream);
    case TestDType::F16: return launchTyped<TestDType::F16, false>(dRef, test, n, dOut, scratch, stream);
    case TestDType::I8:
      return int8AlwaysFinite(test.scale, test.zeroPoint)
                 ? launchTyped<TestDType::I8, true>(dRef, test, n, dOut, scratch, stream)
                 : launchTyped<TestDType::I8, false>(dRef, test, n, dOut, scratch, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launchCompareBatch(const PairDesc* dDescs, std::uint32_t count, Accumulator* dOut,
                               cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  int device = 0, sms = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e != cudaSuccess) return e;
  const std::uint32_t maxGrid = static_cast<std::uint32_t>(sms) * 8;
  compareBatchKernel<<<count < maxGrid ? count : maxGrid, kThreads, 0, stream>>>(dDescs, count, dOut);
  return cudaGetLastError();
}

}  // namespace trtdiff
