// |x| histogram on the device: a max|x| pass, range growth with on-device re-binning, then a
// shared-memory binning pass. The growth rule and bin index are shared with the CPU reference
// (native/abs_histogram.h), so both produce identical counts.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../native/abs_histogram.h"
#include "histogram_api.h"

namespace trtdiff {
namespace {

constexpr int kThreads = 256;

// Non-negative floats order like their bit patterns, so an unsigned atomicMax on the bits is a
// float max; NaN/Inf never enter (skipped as in the CPU reference).
__global__ void __launch_bounds__(kThreads) absMaxKernel(const float* __restrict__ data, std::uint64_t n,
                                                         unsigned int* maxBits) {
  float m = 0.0f;
  const std::uint64_t stride = std::uint64_t(gridDim.x) * kThreads;
  for (std::uint64_t i = std::uint64_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride) {
    const float a = fabsf(__ldg(data + i));
    if (isfinite(a) && a > m) m = a;
  }
  for (int offset = 16; offset > 0; offset /= 2) m = fmaxf(m, __shfl_down_sync(0xffffffffu, m, offset));
  if (threadIdx.x % 32 == 0) atomicMax(maxBits, __float_as_uint(m));
}

// Applies `doublings` pair-merges in one step (see mergeBins): one block, two bins per thread.
__global__ void rebinKernel(unsigned long long* counts, int doublings) {
  const int group = 1 << (doublings < 11 ? doublings : 11);
  unsigned long long merged[kHistBins / 1024];
  for (int k = 0; k < kHistBins / 1024; ++k) {
    const int bin = threadIdx.x + k * 1024;
    unsigned long long s = 0;
    for (int j = bin * group; j < (bin + 1) * group && j < kHistBins; ++j) s += counts[j];
    merged[k] = s;
  }
  __syncthreads();  // every read of the old counts happens before any write
  for (int k = 0; k < kHistBins / 1024; ++k) counts[threadIdx.x + k * 1024] = merged[k];
}

__global__ void __launch_bounds__(kThreads) histogramKernel(const float* __restrict__ data, std::uint64_t n,
                                                            double binsPerUnit, unsigned long long* counts) {
  // Per-block bins in shared memory absorb the atomic traffic; one global add per non-empty bin.
  __shared__ unsigned int bins[kHistBins];
  for (int b = threadIdx.x; b < kHistBins; b += kThreads) bins[b] = 0;
  __syncthreads();
  const std::uint64_t stride = std::uint64_t(gridDim.x) * kThreads;
  for (std::uint64_t i = std::uint64_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride) {
    const float v = __ldg(data + i);
    if (isfinite(v)) atomicAdd(&bins[absBin(v, binsPerUnit)], 1u);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < kHistBins; b += kThreads)
    if (bins[b] != 0) atomicAdd(counts + b, static_cast<unsigned long long>(bins[b]));
}

unsigned gridFor(std::uint64_t n) {
  int device = 0, sms = 1;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  const std::uint64_t needed = (n + kThreads - 1) / kThreads;
  const std::uint64_t cap = std::uint64_t(sms) * 4;
  return static_cast<unsigned>(needed < 1 ? 1 : needed < cap ? needed : cap);
}

}  // namespace

DeviceAbsHistogram::~DeviceAbsHistogram() {
  cudaFree(dCounts_);
  cudaFree(dMaxBits_);
}

cudaError_t DeviceAbsHistogram::init(cudaStream_t stream) {
  cudaError_t e = cudaMalloc(&dCounts_, sizeof(std::uint64_t) * kHistBins);
  if (e == cudaSuccess) e = cudaMalloc(&dMaxBits_, sizeof(unsigned int));
  if (e == cudaSuccess) e = cudaMemsetAsync(dCounts_, 0, sizeof(std::uint64_t) * kHistBins, stream);
  rangeMax_ = 0;
  return e;
}

cudaError_t DeviceAbsHistogram::add(const float* dData, std::size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  cudaError_t e = cudaMemsetAsync(dMaxBits_, 0, sizeof(unsigned int), stream);
  if (e != cudaSuccess) return e;
  absMaxKernel<<<gridFor(n), kThreads, 0, stream>>>(dData, n, dMaxBits_);
  unsigned int bits = 0;
  e = cudaMemcpyAsync(&bits, dMaxBits_, sizeof bits, cudaMemcpyDeviceToHost, stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
  if (e != cudaSuccess) return e;
  float batchMax;
  static_assert(sizeof batchMax == sizeof bits, "float bits");
  std::memcpy(&batchMax, &bits, sizeof bits);

  const int doublings = doublingsToCover(rangeMax_, batchMax);
  if (doublings < 0) {
    rangeMax_ = batchMax;
  } else if (doublings > 0) {
    rebinKernel<<<1, 1024, 0, stream>>>(reinterpret_cast<unsigned long long*>(dCounts_), doublings);
    rangeMax_ = std::ldexp(rangeMax_, doublings);
  }
  histogramKernel<<<gridFor(n), kThreads, 0, stream>>>(dData, n, binsPerUnitOf(rangeMax_),
                                                       reinterpret_cast<unsigned long long*>(dCounts_));
  return cudaGetLastError();
}

cudaError_t DeviceAbsHistogram::readCounts(std::uint64_t* hostCounts, cudaStream_t stream) const {
  cudaError_t e = cudaMemcpyAsync(hostCounts, dCounts_, sizeof(std::uint64_t) * kHistBins,
                                  cudaMemcpyDeviceToHost, stream);
  return e == cudaSuccess ? cudaStreamSynchronize(stream) : e;
}

}  // namespace trtdiff
