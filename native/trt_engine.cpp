#include "trt_engine.h"

#include <cstring>

#include "trt_engine_file.h"
#include "trt_loader.h"
#include "trt_types.h"
#include "trt_version.h"

namespace trtdiff {

using nvinfer1::TensorIOMode;

// Copies every debug tensor TensorRT reports during enqueueV3 to the host. TensorRT owns the
// device buffer only for the duration of the callback (it may reuse it as soon as the callback
// returns), so the copy is queued on TensorRT's stream and that stream synchronised before returning,
// as trtexec and Polygraphy do. A failed copy is remembered and fails the inference: a tensor that
// was asked for is never dropped silently.
class TrtEngine::DebugCollector : public nvinfer1::IDebugListener {
 public:
  bool processDebugTensor(void const* addr, nvinfer1::TensorLocation location, nvinfer1::DataType type,
                          nvinfer1::Dims const& shape, char const* name, cudaStream_t stream) noexcept override {
    try {
      HostTensor t;
      t.name = name != nullptr ? name : "";
      t.dtype = dtypeName(type);
      t.shape = dimsToVector(shape);
      const std::size_t width = dtypeBytes(type);
      const std::int64_t n = volume(t.shape);
      // fp8/int4 or an unresolved shape: no host representation. The tensor is then absent from the
      // results, and the caller's coverage check names it.
      if (width == 0 || n < 0) return true;
      t.bytes.resize(static_cast<std::size_t>(n) * width);
      if (location == nvinfer1::TensorLocation::kDEVICE) {
        cudaError_t e = cudaMemcpyAsync(t.bytes.data(), addr, t.bytes.size(), cudaMemcpyDeviceToHost, stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
        if (e != cudaSuccess) {
          if (error.empty()) error = "copying debug tensor " + t.name + ": " + cudaGetErrorString(e);
          return false;
        }
      } else {
        std::memcpy(t.bytes.data(), addr, t.bytes.size());
      }
      collected.push_back(std::move(t));
      return true;
    } catch (const std::exception& e) {
      if (error.empty()) error = std::string("debug tensor ") + (name != nullptr ? name : "?") + ": " + e.what();
      return false;
    }
  }
  void clear() {
    collected.clear();
    error.clear();
  }
  std::vector<HostTensor> collected;
  std::string error;                     // first failure, "" when none
};

TrtEngine::TrtEngine() = default;

TrtEngine::~TrtEngine() {
  // Order matters: the context before the engine before the runtime (TensorRT's ownership rules).
  context_.reset();
  engine_.reset();
  runtime_.reset();
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

std::unique_ptr<TrtEngine> TrtEngine::load(const std::string& path) {
  try {
    requireTrtLibrary();
  } catch (const std::exception& err) {
    throw TrtError(err.what());
  }
  std::unique_ptr<TrtEngine> e(new TrtEngine());
  EngineFile file = readEngineFile(path);
  e->metadata_ = file.metadata;
  e->runtime_.reset(nvinfer1::createInferRuntime(e->logger_));
  if (!e->runtime_) throw TrtError("createInferRuntime failed: " + e->logger_.takeErrors());
  e->engine_.reset(e->runtime_->deserializeCudaEngine(file.bytes.data() + file.planOffset,
                                                      file.bytes.size() - file.planOffset));
  if (!e->engine_) {
    // A plan from another TensorRT version fails here; TensorRT's message names both versions.
    const std::string why = e->logger_.takeErrors();
    throw TrtError("cannot deserialize engine with TensorRT " + runtimeTensorRtVersion() + ": " +
                   (why.empty() ? "no reason logged" : why));
  }
  e->context_.reset(e->engine_->createExecutionContext());
  if (!e->context_) throw TrtError("createExecutionContext failed: " + e->logger_.takeErrors());
  cudaCheck(cudaStreamCreateWithFlags(&e->stream_, cudaStreamNonBlocking), "cudaStreamCreate");

  for (int i = 0; i < e->engine_->getNbIOTensors(); ++i) {
    const char* name = e->engine_->getIOTensorName(i);
    IoTensorInfo info;
    info.name = name;
    info.isInput = e->engine_->getTensorIOMode(name) == TensorIOMode::kINPUT;
    info.dtype = dtypeName(e->engine_->getTensorDataType(name));
    info.shape = dimsToVector(e->engine_->getTensorShape(name));
    const char* format = e->engine_->getTensorFormatDesc(name);
    info.format = format != nullptr ? format : "";
    e->io_.push_back(std::move(info));
  }

  // Debug tensors (built with markDebug or markUnfusedTensorsAsDebugTensors) reach the listener
  // only when their debug state is on; they are how trt-diff reads intermediate tensors without
  // marking them as outputs, which would change what TensorRT fuses.
  e->debug_ = std::make_unique<DebugCollector>();
  e->context_->setDebugListener(e->debug_.get());
  e->context_->setAllTensorsDebugState(true);
#if TRTDIFF_HAVE_UNFUSED_DEBUG_TENSORS
  e->context_->setUnfusedTensorsDebugState(true);
#endif
  e->logger_.takeMessages();
  return e;
}

std::string TrtEngine::inspect() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<nvinfer1::IEngineInspector> inspector(engine_->createEngineInspector());
  if (!inspector) throw TrtError("createEngineInspector failed: " + logger_.takeErrors());
  inspector->setExecutionContext(context_.get());
  const char* json = inspector->getEngineInformation(nvinfer1::LayerInformationFormat::kJSON);
  return json != nullptr ? json : "";
}

std::vector<HostTensor> TrtEngine::infer(const std::vector<HostTensor>& inputs) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Every input must be fed on every call: the device buffers persist between calls, and reusing
  // the previous call's bytes for an input that was left out would compare the wrong data.
  std::string missing;
  for (const IoTensorInfo& io : io_) {
    if (!io.isInput) continue;
    int given = 0;
    for (const HostTensor& in : inputs) given += in.name == io.name ? 1 : 0;
    if (given > 1) throw TrtError("input " + io.name + " given " + std::to_string(given) + " times");
    if (given == 0) missing += (missing.empty() ? "" : ", ") + io.name;
  }
  if (!missing.empty()) throw TrtError("missing input(s): " + missing + " (every engine input must be fed on each call)");
  for (const HostTensor& in : inputs) {
    const IoTensorInfo* info = nullptr;
    for (const IoTensorInfo& io : io_)
      if (io.isInput && io.name == in.name) info = &io;
    if (info == nullptr) throw TrtError("engine has no input named " + in.name);
    if (in.dtype != info->dtype)
      throw TrtError("input " + in.name + " is " + in.dtype + " but the engine expects " + info->dtype);
    if (!context_->setInputShape(in.name.c_str(), vectorToDims(in.shape)))
      throw TrtError("setInputShape(" + in.name + "): " + logger_.takeErrors());
    const std::size_t expected = static_cast<std::size_t>(volume(in.shape)) * dtypeBytes(engine_->getTensorDataType(in.name.c_str()));
    if (in.bytes.size() != expected)
      throw TrtError("input " + in.name + " has " + std::to_string(in.bytes.size()) + " bytes, expected " +
                     std::to_string(expected));
  }
  // From the first queued copy on, an error must drain the stream before the host bytes it reads
  // (owned by the caller) can go away.
  try {
    return run(inputs);
  } catch (...) {
    cudaStreamSynchronize(stream_);
    throw;
  }
}

std::vector<HostTensor> TrtEngine::run(const std::vector<HostTensor>& inputs) {
  for (const HostTensor& in : inputs) {
    DeviceBuffer& buf = buffers_[in.name];
    buf.resize(in.bytes.size());
    cudaCheck(cudaMemcpyAsync(buf.get(), in.bytes.data(), in.bytes.size(), cudaMemcpyHostToDevice, stream_),
              "cudaMemcpyAsync(input)");
    if (!context_->setTensorAddress(in.name.c_str(), buf.get()))
      throw TrtError("setTensorAddress(" + in.name + "): " + logger_.takeErrors());
  }

  // Output shapes are known once every input shape is set (data-dependent shapes are not supported).
  std::vector<HostTensor> outputs;
  for (const IoTensorInfo& io : io_) {
    if (io.isInput) continue;
    HostTensor out;
    out.name = io.name;
    out.dtype = io.dtype;
    out.shape = dimsToVector(context_->getTensorShape(io.name.c_str()));
    const std::int64_t n = volume(out.shape);
    const std::size_t width = dtypeBytes(engine_->getTensorDataType(io.name.c_str()));
    if (n < 0) throw TrtError("output " + io.name + " has a data-dependent shape, which trt-diff does not support");
    DeviceBuffer& buf = buffers_[io.name];
    buf.resize(static_cast<std::size_t>(n) * (width == 0 ? 1 : width));
    if (!context_->setTensorAddress(io.name.c_str(), buf.get()))
      throw TrtError("setTensorAddress(" + io.name + "): " + logger_.takeErrors());
    out.bytes.resize(width == 0 ? 0 : static_cast<std::size_t>(n) * width);
    outputs.push_back(std::move(out));
  }

  debug_->clear();
  if (!context_->enqueueV3(stream_))
    throw TrtError("enqueueV3 failed: " + (debug_->error.empty() ? logger_.takeErrors() : debug_->error));
  for (HostTensor& out : outputs) {
    if (out.bytes.empty()) continue;
    const cudaError_t e = cudaMemcpyAsync(out.bytes.data(), buffers_[out.name].get(), out.bytes.size(),
                                          cudaMemcpyDeviceToHost, stream_);
    if (e != cudaSuccess) cudaStreamSynchronize(stream_);  // earlier copies write into `outputs`
    cudaCheck(e, "cudaMemcpyAsync(output)");
  }
  cudaCheck(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  if (!debug_->error.empty()) throw TrtError(debug_->error);
  for (HostTensor& t : debug_->collected) outputs.push_back(std::move(t));
  debug_->clear();
  return outputs;
}

}  // namespace trtdiff
