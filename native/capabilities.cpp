// capabilities(): what this build of the addon can do on this machine. Never throws: a missing
// driver or GPU is a value ({available: false, error}), so callers can choose the CPU path.
#include "bindings.h"

#ifdef TRTDIFF_WITH_CUDA
#include <cuda_runtime_api.h>
#endif
#ifdef TRTDIFF_WITH_TENSORRT
#include "trt_version.h"
#endif

namespace trtdiff {
namespace {

Napi::Object cudaCapabilities(Napi::Env env) {
  Napi::Object cuda = Napi::Object::New(env);
#ifdef TRTDIFF_WITH_CUDA
  cuda.Set("built", true);
  int runtime = 0, driver = 0, devices = 0;
  cudaRuntimeGetVersion(&runtime);  // the statically linked cudart: known without a driver
  cudaDriverGetVersion(&driver);    // 0 when no driver is installed
  const cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess) devices = 0;
  cuda.Set("available", e == cudaSuccess && devices > 0);
  cuda.Set("devices", devices);
  if (e != cudaSuccess) cuda.Set("error", cudaGetErrorString(e));
  cuda.Set("runtimeVersion", runtime);
  cuda.Set("driverVersion", driver);
  Napi::Array names = Napi::Array::New(env);
  for (int i = 0; i < devices; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess)
      names.Set(i, std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")");
  }
  cuda.Set("deviceNames", names);
#else
  cuda.Set("built", false);
  cuda.Set("available", false);
  cuda.Set("devices", 0);
  cuda.Set("error", "addon built without CUDA (nvcc was not found at build time)");
#endif
  return cuda;
}

Napi::Object tensorRtCapabilities(Napi::Env env) {
  Napi::Object trt = Napi::Object::New(env);
#ifdef TRTDIFF_WITH_TENSORRT
  trt.Set("built", true);
  trt.Set("version", compiledTensorRtVersion());
  // libnvinfer is opened on first use (native/trt_loader.h); asking here opens it.
  const TrtLibraryStatus& lib = trtLibrary();
  trt.Set("available", lib.loaded);
  if (!lib.runtimeVersion.empty()) trt.Set("runtimeVersion", lib.runtimeVersion);
  if (!lib.nvinferPath.empty()) trt.Set("library", lib.nvinferPath);
  if (!lib.error.empty()) trt.Set("error", lib.error);
#else
  trt.Set("built", false);
  trt.Set("available", false);
#endif
  return trt;
}

Napi::Value capabilities(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cuda", cudaCapabilities(info.Env()));
  o.Set("tensorrt", tensorRtCapabilities(info.Env()));
  return o;
}

}  // namespace

void registerCapabilities(Napi::Env env, Napi::Object exports) {
  exports.Set("capabilities", Napi::Function::New(env, capabilities, "capabilities"));
}

}  // namespace trtdiff
