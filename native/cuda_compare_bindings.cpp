// compareF32Cuda(ref, test): Promise<MetricAccumulator> computed by the fused CUDA kernel. Host
// arrays are uploaded for the call; the kernel's main use is on device-resident TensorRT outputs,
// and this entry point is what lets JS exercise (and test) that path.
#include <cuda_runtime_api.h>

#include "bindings.h"
#include "compare_api.h"
#include "device_buffer.h"
#include "promise_worker.h"

namespace trtdiff {
namespace {

class CudaCompareWorker : public PromiseWorker {
 public:
  CudaCompareWorker(Napi::Env env, Napi::Float32Array ref, Napi::Float32Array test)
      : PromiseWorker(env, "trtdiff.compareF32Cuda"),
        ref_(Napi::Persistent(ref)),  // keeps the arrays alive while Run() reads them
        test_(Napi::Persistent(test)),
        refData_(ref.Data()),
        testData_(test.Data()),
        n_(ref.ElementLength()) {}

 protected:
  void Run() override {
    int devices = 0;
    cudaCheck(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    cudaStream_t stream = nullptr;
    cudaCheck(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
    struct StreamGuard {
      cudaStream_t s;
      ~StreamGuard() { cudaStreamDestroy(s); }
    } guard{stream};
    CompareScratch scratch;
    cudaCheck(createCompareScratch(0, &scratch), "createCompareScratch");
    struct ScratchGuard {
      CompareScratch* s;
      ~ScratchGuard() { destroyCompareScratch(s); }
    } scratchGuard{&scratch};
    DeviceBuffer ref(n_ * sizeof(float)), test(n_ * sizeof(float)), out(sizeof(Accumulator));
    cudaCheck(cudaMemcpyAsync(ref.get(), refData_, n_ * sizeof(float), cudaMemcpyHostToDevice, stream),
              "upload");
    cudaCheck(cudaMemcpyAsync(test.get(), testData_, n_ * sizeof(float), cudaMemcpyHostToDevice, stream),
              "upload");
    TestOperand op;
    op.data = test.get();
    cudaCheck(launchCompare(static_cast<const float*>(ref.get()), op, n_,
                            static_cast<Accumulator*>(out.get()), scratch, stream),
              "launchCompare");
    cudaCheck(cudaMemcpyAsync(&result_, out.get(), sizeof result_, cudaMemcpyDeviceToHost, stream),
              "download");
    cudaCheck(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  }
  Napi::Value Result(Napi::Env env) override { return accumulatorToJs(env, result_); }

 private:
  Napi::Reference<Napi::Float32Array> ref_, test_;
  const float* refData_;
  const float* testData_;
  std::size_t n_;
  Accumulator result_{};
};

Napi::Value compareF32Cuda(const Napi::CallbackInfo& info) {
  const Napi::Float32Array ref = float32Arg(info, 0, "ref");
  const Napi::Float32Array test = float32Arg(info, 1, "test");
  if (ref.ElementLength() != test.ElementLength())
    throw Napi::RangeError::New(info.Env(), "element counts differ");
  return (new CudaCompareWorker(info.Env(), ref, test))->start();
}

}  // namespace

void registerCudaCompare(Napi::Env env, Napi::Object exports) {
  exports.Set("compareF32Cuda", Napi::Function::New(env, compareF32Cuda, "compareF32Cuda"));
}

}  // namespace trtdiff
