// RAII owner of one cudaMalloc allocation, sized up to a multiple of 256 bytes (TensorRT's I/O
// alignment; cudaMalloc itself returns 256-byte aligned pointers).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace trtdiff {

class DeviceBuffer {
 public:
  static constexpr std::size_t kAlignment = 256;

  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes) { resize(bytes); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~DeviceBuffer() { cudaFree(ptr_); }

  // Grows to at least `bytes` (contents are not kept); never shrinks, so reuse across calls is cheap.
  void resize(std::size_t bytes) {
    const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded <= size_ && ptr_ != nullptr) return;
    cudaFree(ptr_);
    ptr_ = nullptr;
    size_ = 0;
    const cudaError_t e = cudaMalloc(&ptr_, rounded == 0 ? kAlignment : rounded);
    if (e != cudaSuccess)
      throw std::runtime_error("cudaMalloc(" + std::to_string(rounded) + " bytes): " + cudaGetErrorString(e));
    size_ = rounded;
  }

  void* get() const { return ptr_; }
  std::size_t size() const { return size_; }

 private:
  void* ptr_ = nullptr;
  std::size_t size_ = 0;
};

// Throws std::runtime_error naming the failed call; for host code that calls the CUDA runtime.
inline void cudaCheck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace trtdiff
