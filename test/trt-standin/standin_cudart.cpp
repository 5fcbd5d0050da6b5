// Stand-in CUDA runtime (contract harness, test/trt-standin): device memory is 256-byte aligned host
// memory that is tracked, so a copy from or to a pointer that is not a live device allocation fails
// as it would on a GPU (cudaErrorInvalidValue). Asynchronous copies are queued on their stream and
// run at cudaStreamSynchronize, which is what makes a missing synchronisation visible to the tests
// (under ASan, a host buffer freed before the copy runs is a use-after-free). Checks control flow,
// never numbers.
#include "standin_cudart.h"

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace {
struct Copy {
  void* dst;
  const void* src;
  std::size_t count;
};
}  // namespace

struct CUstream_st {
  std::vector<Copy> pending;
};

namespace {

std::mutex g_mutex;
std::map<const char*, std::size_t>& allocations() {
  static std::map<const char*, std::size_t> a;
  return a;
}
std::set<cudaStream_t>& streams() {
  static std::set<cudaStream_t> s;
  return s;
}
CUstream_st g_defaultStream;

bool insideAllocation(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  auto& a = allocations();
  auto it = a.upper_bound(c);
  if (it == a.begin()) return false;
  --it;
  return c >= it->first && c + bytes <= it->first + it->second;
}

CUstream_st* resolve(cudaStream_t s) { return s == nullptr ? &g_defaultStream : s; }

}  // namespace

extern "C" bool trtstandin_isDevicePointer(const void* p, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return insideAllocation(p, bytes);
}

extern "C" void trtstandin_flushStream(void* stream) {
  std::vector<Copy> ops;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    ops.swap(resolve(static_cast<cudaStream_t>(stream))->pending);
  }
  for (const Copy& c : ops) std::memcpy(c.dst, c.src, c.count);
}

extern "C" bool trtstandin_pendingReads(const void* p, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const char* lo = static_cast<const char*>(p);
  const auto touches = [&](const CUstream_st& s) {
    for (const Copy& c : s.pending) {
      const char* src = static_cast<const char*>(c.src);
      if (src < lo + bytes && lo < src + c.count) return true;
    }
    return false;
  };
  if (touches(g_defaultStream)) return true;
  for (cudaStream_t s : streams())
    if (touches(*s)) return true;
  return false;
}

extern "C" {

cudaError_t cudaMalloc(void** devPtr, size_t size) {
  if (devPtr == nullptr) return cudaErrorInvalidValue;
  const std::size_t rounded = (size + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
  if (p == nullptr) return cudaErrorMemoryAllocation;
  std::lock_guard<std::mutex> lock(g_mutex);
  allocations()[static_cast<const char*>(p)] = size;
  *devPtr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* devPtr) {
  if (devPtr == nullptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = allocations().find(static_cast<const char*>(devPtr));
  if (it == allocations().end()) return cudaErrorInvalidDevicePointer;
  allocations().erase(it);
  std::free(devPtr);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (stream != nullptr && streams().count(stream) == 0) return cudaErrorInvalidResourceHandle;
  if (count == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) return cudaErrorInvalidValue;
  const bool srcDevice = insideAllocation(src, count), dstDevice = insideAllocation(dst, count);
  switch (kind) {
    case cudaMemcpyHostToDevice: if (!dstDevice) return cudaErrorInvalidValue; break;
    case cudaMemcpyDeviceToHost: if (!srcDevice) return cudaErrorInvalidValue; break;
    case cudaMemcpyDeviceToDevice: if (!srcDevice || !dstDevice) return cudaErrorInvalidValue; break;
    case cudaMemcpyHostToHost: case cudaMemcpyDefault: break;
    default: return cudaErrorInvalidMemcpyDirection;
  }
  resolve(stream)->pending.push_back(Copy{dst, src, count});
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int /*flags*/) {
  if (stream == nullptr) return cudaErrorInvalidValue;
  *stream = new CUstream_st();
  std::lock_guard<std::mutex> lock(g_mutex);
  streams().insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (streams().erase(stream) == 0) return cudaErrorInvalidResourceHandle;
  }
  trtstandin_flushStream(stream);  // CUDA finishes queued work of a destroyed stream
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (stream != nullptr && streams().count(stream) == 0) return cudaErrorInvalidResourceHandle;
  }
  trtstandin_flushStream(stream);
  return cudaSuccess;
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
  }
  return "unknown error";
}

}  // extern "C"
