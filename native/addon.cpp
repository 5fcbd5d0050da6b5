// Entry point of trt_diff_native.node. Every group registers itself; groups that were not built
// (no nvcc, no TensorRT) are simply absent, and capabilities() says why.
#include "bindings.h"

namespace trtdiff {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  registerCapabilities(env, exports);
  registerCompare(env, exports);
  registerHistogram(env, exports);
  registerMemoryPolicy(env, exports);
#ifdef TRTDIFF_WITH_CUDA
  registerCudaCompare(env, exports);
#endif
#ifdef TRTDIFF_WITH_TENSORRT
  registerTensorRt(env, exports);
#endif
  return exports;
}

}  // namespace trtdiff

namespace {
// NODE_API_MODULE pastes its second argument into an identifier, so it needs an unqualified name.
Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return trtdiff::Init(env, exports);
}
}  // namespace

NODE_API_MODULE(trt_diff_native, InitModule)
