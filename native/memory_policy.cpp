// retainFreedMemory(): keep memory that the process frees for its next allocations instead of
// handing it back to the kernel.
//
// A comparison allocates and frees the same few hundred MB of activations for every sample
// (ONNX Runtime's output buffers, then their JavaScript copies). By default glibc returns freed
// chunks of 128 KB..32 MB to the kernel whenever the top of the heap holds more than twice the
// (dynamic) mmap threshold, and the next sample faults those pages in again. First touch of a page
// is the single largest cost of a run on virtual machines (3.5–5 s per GiB on the development VM:
// bench/first-touch.ts, bench/README.md §1). With the thresholds fixed, chunks below 32 MB always come from
// the heap and the heap is never trimmed, so a run's peak is faulted in once. The CLI calls it at start; a
// library user decides for their own process.
#include "bindings.h"

#if defined(__GLIBC__)
#include <malloc.h>
#include <climits>
#endif

namespace trtdiff {
namespace {

Napi::Value retainFreedMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__GLIBC__)
  // 32 MB is the largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2).
  constexpr int kMmapThreshold = 32 << 20;
  const bool ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
  if (!ok) return Napi::String::New(env, "mallopt refused the thresholds");
  return env.Null();
#else
  return Napi::String::New(env, "not glibc: the allocator keeps its own policy");
#endif
}

// releaseBuffer(ab): frees an ArrayBuffer's memory now instead of at the next garbage collection
// (the buffer becomes detached: length 0). For the activation copies that onnxruntime-node returns
// per run: hundreds of MB per sample whose owner knows exactly when they are done with.
Napi::Value releaseBuffer(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsArrayBuffer())
    throw Napi::TypeError::New(info.Env(), "releaseBuffer: expected an ArrayBuffer");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (ab.IsDetached()) return Napi::Boolean::New(info.Env(), false);
  ab.Detach();
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace

void registerMemoryPolicy(Napi::Env env, Napi::Object exports) {
  exports.Set("retainFreedMemory", Napi::Function::New(env, retainFreedMemory, "retainFreedMemory"));
  exports.Set("releaseBuffer", Napi::Function::New(env, releaseBuffer, "releaseBuffer"));
}

}  // namespace trtdiff
