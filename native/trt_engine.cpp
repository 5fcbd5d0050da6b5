#include "trt_engine.h"

#include <cstring>

#include "trt_engine_file.h"
#include "trt_types.h"
#include "trt_version.h"

namespace trtdiff {

using nvinfer1::TensorIOMode;

// Copies every debug tensor TensorRT reports during enqueueV3 to the host. The copy is queued on
// the stream TensorRT passes in, so it is ordered after the producing layer; infer() synchronises
// the stream before the host vectors are read.
class TrtEngine::DebugCollector : public nvinfer1::IDebugListener {
 public:
  bool processDebugTensor(void const* addr, nvinfer1::TensorLocation location, nvinfer1::DataType type,
                          nvinfer1::Dims const& shape, char const* name, cudaStream_t stream) noexcept override {
    try {
      HostTensor t;
      t.name = name;
      t.dtype = dtypeName(type);
      t.shape = dimsToVector(shape);
      const std::size_t width = dtypeBytes(type);
      const std::int64_t n = volume(t.shape);
      if (width == 0 || n < 0) return true;  // fp8/int4 debug tensors: nothing trt-diff can compare
      t.bytes.resize(static_cast<std::size_t>(n) * width);
      if (location == nvinfer1::TensorLocation::kDEVICE) {
        if (cudaMemcpyAsync(t.bytes.data(), addr, t.bytes.size(), cudaMemcpyDeviceToHost, stream) != cudaSuccess)
          return false;
      } else {
        std::memcpy(t.bytes.data(), addr, t.bytes.size());
      }
      collected.push_back(std::move(t));
      return true;
    } catch (...) {
      return false;
    }
  }
  std::vector<HostTensor> collected;
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
    DeviceBuffer& buf = buffers_[in.name];
    buf.resize(in.bytes.size());
    cudaCheck(cudaMemcpyAsync(buf.get(), in.bytes.data(), in.bytes.size(), cudaMemcpyHostToDevice, stream_),
              "cudaMemcpyAsync(input)");
    context_->setTensorAddress(in.name.c_str(), buf.get());
  }
  for (const IoTensorInfo& io : io_)
    if (io.isInput && buffers_.find(io.name) == buffers_.end()) throw TrtError("missing input " + io.name);

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
    context_->setTensorAddress(io.name.c_str(), buf.get());
    out.bytes.resize(width == 0 ? 0 : static_cast<std::size_t>(n) * width);
    outputs.push_back(std::move(out));
  }

  debug_->collected.clear();
  if (!context_->enqueueV3(stream_)) throw TrtError("enqueueV3 failed: " + logger_.takeErrors());
  for (HostTensor& out : outputs)
    if (!out.bytes.empty())
      cudaCheck(cudaMemcpyAsync(out.bytes.data(), buffers_[out.name].get(), out.bytes.size(),
                                cudaMemcpyDeviceToHost, stream_),
                "cudaMemcpyAsync(output)");
  cudaCheck(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  for (HostTensor& t : debug_->collected) outputs.push_back(std::move(t));
  debug_->collected.clear();
  return outputs;
}

}  // namespace trtdiff
