// Block-level reduction of Accumulator values, shared by the compare and batched-compare kernels.
#pragma once

#include <cuda_runtime.h>

#include "../native/accumulator.h"

namespace trtdiff {
namespace device {

constexpr int kWarp = 32;

__device__ __forceinline__ Accumulator shuffleDown(const Accumulator& a, int offset) {
  Accumulator o;
  const unsigned full = 0xffffffffu;
  o.sumRef2 = __shfl_down_sync(full, a.sumRef2, offset);
  o.sumTest2 = __shfl_down_sync(full, a.sumTest2, offset);
  o.sumDot = __shfl_down_sync(full, a.sumDot, offset);
  o.sumErr2 = __shfl_down_sync(full, a.sumErr2, offset);
  o.sumAbsErr = __shfl_down_sync(full, a.sumAbsErr, offset);
  o.maxAbs = __shfl_down_sync(full, a.maxAbs, offset);
  o.maxRel = __shfl_down_sync(full, a.maxRel, offset);
  o.refMin = __shfl_down_sync(full, a.refMin, offset);
  o.refMax = __shfl_down_sync(full, a.refMax, offset);
  o.testMin = __shfl_down_sync(full, a.testMin, offset);
  o.testMax = __shfl_down_sync(full, a.testMax, offset);
  o.count = __shfl_down_sync(full, a.count, offset);
  o.finite = __shfl_down_sync(full, a.finite, offset);
  o.refNan = __shfl_down_sync(full, a.refNan, offset);
  o.refInf = __shfl_down_sync(full, a.refInf, offset);
  o.testNan = __shfl_down_sync(full, a.testNan, offset);
  o.testInf = __shfl_down_sync(full, a.testInf, offset);
  return o;
}

__device__ __forceinline__ void warpReduce(Accumulator& a) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) mergeInto(a, shuffleDown(a, offset));
}

// Reduces one Accumulator per thread to one per block; the result is valid in thread 0 only.
// Every thread of the block must call it (it synchronises); Threads must be a multiple of 32.
template <int Threads>
__device__ Accumulator blockReduce(Accumulator a) {
  static_assert(Threads % kWarp == 0 && Threads / kWarp <= kWarp, "block size");
  __shared__ Accumulator perWarp[Threads / kWarp];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  warpReduce(a);
  if (lane == 0) perWarp[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < Threads / kWarp ? perWarp[lane] : emptyAccumulator();
    warpReduce(a);
  }
  __syncthreads();  // perWarp may be reused by the caller's next reduction
  return a;
}

// Reads an Accumulator written by another block of the same grid, bypassing L1 (which is not
// coherent across SMs) so that the last block sees every partial after the ticket fence.
__device__ __forceinline__ Accumulator loadCoherent(const Accumulator* p) {
  static_assert(sizeof(Accumulator) % sizeof(unsigned long long) == 0, "8-byte words");
  constexpr int kWords = sizeof(Accumulator) / sizeof(unsigned long long);
  union {
    Accumulator acc;
    unsigned long long words[kWords];
  } u;
  const unsigned long long* src = reinterpret_cast<const unsigned long long*>(p);
#pragma unroll
  for (int k = 0; k < kWords; ++k) u.words[k] = __ldcg(src + k);
  return u.acc;
}

}  // namespace device
}  // namespace trtdiff
