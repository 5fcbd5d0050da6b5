// Fused single-pass comparison of a float32 reference against a float32/float16/int8 test buffer.
// Every field of MetricAccumulator comes out of one read of both buffers: per-element terms in FP64,
// per-thread FP64 partial sums, then a block reduction and a last-block-done final reduction, so
// one launch per tensor pair produces the finished accumulator in device memory.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

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

// The FP64 sums and max|d| of a finite pair, shared by both paths below; returns |d|. (No NaN
// here, so fmax is `ad > maxAbs ? ad : maxAbs`.)
__device__ __forceinline__ double addSums(ThreadAcc& t, float xf, float yf) {
  const double x = xf, y = yf;
  const double d = x - y;
  const double ad = fabs(d);
  t.sa2 += x * x;
  t.sb2 += y * y;
  t.sab += x * y;
  t.se2 += d * d;
  t.sae += ad;
  t.maxAbs = fmax(t.maxAbs, ad);
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
  const double ax = fabs(x);
  const double rel = ad / (ax > kRelEps ? ax : kRelEps);
  if (rel > t.maxRel) t.maxRel = rel;
  if (xf < t.aMin) t.aMin = xf;
  if (xf > t.aMax) t.aMax = xf;
  if (yf < t.bMin) t.bMin = yf;
  if (yf > t.bMax) t.bMax = yf;
}

// A finite pair on the fast path: straight-line code (no per-element branch, so the compiler can
// interleave the FP64 chains of a whole chunk), and no FP64 division. Instead of rel = ad/den it
// flags `candidate` when the quotient could exceed m, the running maxRel at the chunk's start.
// The test is conservative, hence exact: if ad/den > m then m·den < ad, and since rounding is
// monotonic round(m·den) <= ad; with den = max(|x|, eps) and m >= 0 that is round(m·|x|) <= ad
// and round(m·eps) <= ad, the second bound being the per-chunk constant mEps.
__device__ __forceinline__ void addFinitePair(ThreadAcc& t, float xf, float yf, double m, double mEps,
                                              bool& candidate) {
  const double ad = addSums(t, xf, yf);
  candidate |= (m * fabs(static_cast<double>(xf)) <= ad) & (mEps <= ad);
  t.aMin = fminf(t.aMin, xf);
  t.aMax = fmaxf(t.aMax, xf);
  t.bMin = fminf(t.bMin, yf);
  t.bMax = fmaxf(t.bMax, yf);
}

// The exact relative error of a finite pair, for chunks that flagged a candidate (rare once the
// running max has settled).
__device__ __forceinline__ void updateMaxRel(ThreadAcc& t, float xf, float yf) {
  const double x = xf;
  const double ad = fabs(x - static_cast<double>(yf));
  const double ax = fabs(x);
  const double rel = ad / (ax > kRelEps ? ax : kRelEps);
  if (rel > t.maxRel) t.maxRel = rel;
}

// Largest |bits| of a float4: below 0x7f800000 exactly when all four values are finite.
__device__ __forceinline__ unsigned maxMagnitudeBits(const float4& v) {
  const unsigned m = 0x7fffffffu;
  return max(max(__float_as_uint(v.x) & m, __float_as_uint(v.y) & m),
             max(__float_as_uint(v.z) & m, __float_as_uint(v.w) & m));
}

// K float4 pairs already in registers. One (almost always uniform) branch per chunk picks the
// straight-line finite path; a chunk holding NaN/Inf takes the general per-element path.
template <int K>
__device__ __forceinline__ void addChunk(ThreadAcc& t, const float4 (&a)[K], const float4 (&b)[K]) {
  unsigned worst = 0;
#pragma unroll
  for (int u = 0; u < K; ++u) worst = max(worst, max(maxMagnitudeBits(a[u]), maxMagnitudeBits(b[u])));
  if (worst < 0x7f800000u) {
    const double m = t.maxRel, mEps = m * kRelEps;
    bool candidate = false;
#pragma unroll
    for (int u = 0; u < K; ++u) {
      addFinitePair(t, a[u].x, b[u].x, m, mEps, candidate);
      addFinitePair(t, a[u].y, b[u].y, m, mEps, candidate);
      addFinitePair(t, a[u].z, b[u].z, m, mEps, candidate);
      addFinitePair(t, a[u].w, b[u].w, m, mEps, candidate);
    }
    t.finite += 4 * K;
    if (candidate) {
      for (int u = 0; u < K; ++u) {
        updateMaxRel(t, a[u].x, b[u].x);
        updateMaxRel(t, a[u].y, b[u].y);
        updateMaxRel(t, a[u].z, b[u].z);
        updateMaxRel(t, a[u].w, b[u].w);
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

// Test-side loaders: 4 consecutive elements from one vector load, or one element.
template <TestDType T>
struct Loader;

template <>
struct Loader<TestDType::F32> {
  static constexpr int kVecBytes = 16;
  __device__ static float4 load4(const TestOperand& op, std::uint64_t v) {
    return __ldg(static_cast<const float4*>(op.data) + v);
  }
  __device__ static float load1(const TestOperand& op, std::uint64_t i) {
    return __ldg(static_cast<const float*>(op.data) + i);
  }
};

template <>
struct Loader<TestDType::F16> {
  static constexpr int kVecBytes = 8;
  __device__ static float4 load4(const TestOperand& op, std::uint64_t v) {
    const uint2 raw = __ldg(static_cast<const uint2*>(op.data) + v);
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
  static constexpr int kVecBytes = 4;
  __device__ static float4 load4(const TestOperand& op, std::uint64_t v) {
    const char4 q = __ldg(static_cast<const char4*>(op.data) + v);
    return make_float4(dequantInt8(q.x, op.scale, op.zeroPoint), dequantInt8(q.y, op.scale, op.zeroPoint),
                       dequantInt8(q.z, op.scale, op.zeroPoint), dequantInt8(q.w, op.scale, op.zeroPoint));
  }
  __device__ static float load1(const TestOperand& op, std::uint64_t i) {
    return dequantInt8(static_cast<const std::int8_t*>(op.data)[i], op.scale, op.zeroPoint);
  }
};

__device__ __forceinline__ bool alignedTo(const void* p, int bytes) {
  return (reinterpret_cast<std::uintptr_t>(p) & static_cast<std::uintptr_t>(bytes - 1)) == 0;
}

// Strided pass of thread `tid` of `nthreads` over n pairs: float4 body when both operands are
// vector-aligned (always true for cudaMalloc/TensorRT buffers), scalar remainder or fallback.
template <TestDType T>
__device__ void accumulateRange(ThreadAcc& t, const float* ref, const TestOperand& test, std::uint64_t n,
                                std::uint64_t tid, std::uint64_t nthreads) {
  using L = Loader<T>;
  std::uint64_t scalarStart = 0;
  if (alignedTo(ref, 16) && alignedTo(test.data, L::kVecBytes)) {
    const float4* ref4 = reinterpret_cast<const float4*>(ref);
    const std::uint64_t nv = n / 4;
    std::uint64_t v = tid;
    for (; v + (kUnroll - 1) * nthreads < nv; v += kUnroll * nthreads) {
      float4 a[kUnroll], b[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        a[u] = __ldg(ref4 + v + u * nthreads);
        b[u] = L::load4(test, v + u * nthreads);
      }
      addChunk<kUnroll>(t, a, b);
    }
    for (; v < nv; v += nthreads) {
      const float4 a[1] = {__ldg(ref4 + v)}, b[1] = {L::load4(test, v)};
      addChunk<1>(t, a, b);
    }
    scalarStart = nv * 4;
  }
  for (std::uint64_t i = scalarStart + tid; i < n; i += nthreads) addPair(t, __ldg(ref + i), L::load1(test, i));
}

template <TestDType T>
__global__ void __launch_bounds__(kThreads, kMinBlocks) compareKernel(const float* __restrict__ ref, TestOperand test,
                                                          std::uint64_t n, Accumulator* partials,
                                                          unsigned int* ticket, Accumulator* out) {
  ThreadAcc t;
  accumulateRange<T>(t, ref, test, n, std::uint64_t(blockIdx.x) * kThreads + threadIdx.x,
                     std::uint64_t(gridDim.x) * kThreads);
  const Accumulator blockAcc = device::blockReduce<kThreads>(t.toAccumulator());

  // Last-block-done: each block publishes its partial, and the block that takes the final ticket
  // reduces all partials, which saves a second launch and keeps the summation order fixed.
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

template <TestDType T>
cudaError_t launchTyped(const float* dRef, const TestOperand& test, std::uint64_t n, Accumulator* dOut,
                        const CompareScratch& s, cudaStream_t stream) {
  // Enough blocks to fill the machine, but no more than the work needs (a block-sized chunk each).
  const std::uint64_t perBlock = std::uint64_t(kThreads) * 4 * kUnroll;
  std::uint64_t blocks = (n + perBlock - 1) / perBlock;
  if (blocks < 1) blocks = 1;
  if (blocks > std::uint64_t(s.maxBlocks)) blocks = s.maxBlocks;
  compareKernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(dRef, test, n, s.dPartials,
                                                                             s.dTicket, dOut);
  return cudaGetLastError();
}

}  // namespace

cudaError_t createCompareScratch(int device, CompareScratch* s) {
  int sms = 0, perSm = 0;
  cudaError_t e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e != cudaSuccess) return e;
  e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, compareKernel<TestDType::F32>, kThreads, 0);
  if (e != cudaSuccess) return e;
  s->maxBlocks = sms * (perSm > 0 ? perSm : 1);
  s->threads = kThreads;
  e = cudaMalloc(&s->dPartials, sizeof(Accumulator) * s->maxBlocks);
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
    case TestDType::F32: return launchTyped<TestDType::F32>(dRef, test, n, dOut, scratch, stream);
    case TestDType::F16: return launchTyped<TestDType::F16>(dRef, test, n, dOut, scratch, stream);
    case TestDType::I8: return launchTyped<TestDType::I8>(dRef, test, n, dOut, scratch, stream);
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
