// Host API of the |x| histogram kernels (histogram_kernels.cu); growth rule in native/abs_histogram.h.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace trtdiff {

// A histogram whose 2048 counts live on the device, so that batches of device tensors (TensorRT
// outputs) never travel to the host. rangeMax is mirrored on the host: the growth decision needs it.
class DeviceAbsHistogram {
 public:
  DeviceAbsHistogram() = default;
  DeviceAbsHistogram(const DeviceAbsHistogram&) = delete;
  DeviceAbsHistogram& operator=(const DeviceAbsHistogram&) = delete;
  ~DeviceAbsHistogram();

  cudaError_t init(cudaStream_t stream);
  // Adds the finite values of dData[0..n): max|x| pass, range growth (re-binning on the device), binning.
  // Synchronises the stream once to read the batch max.
  cudaError_t add(const float* dData, std::size_t n, cudaStream_t stream);
  cudaError_t readCounts(std::uint64_t* hostCounts, cudaStream_t stream) const;
  double rangeMax() const { return rangeMax_; }

 private:
  std::uint64_t* dCounts_ = nullptr;
  unsigned int* dMaxBits_ = nullptr;  // max|x| of the current batch, as float bits
  double rangeMax_ = 0;
};

}  // namespace trtdiff
