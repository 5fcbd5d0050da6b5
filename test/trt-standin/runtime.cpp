// Stand-in IRuntime / ICudaEngine / IExecutionContext / IEngineInspector (test/trt-standin: a
// contract harness — control flow, lifetimes, names, shapes and coverage, never numbers; outputs
// are deterministic filler). Behaviour the addon's control flow depends on, imitated strictly:
//  - enqueueV3 fails (error logged, false returned) when an I/O address is missing or is not device
//    memory, or a dynamic input's shape was not set;
//  - a debug tensor's device buffer is valid only while processDebugTensor runs: a copy of it still
//    queued when the callback returns fails the enqueue (the listener must synchronise);
//  - destroying a runtime before its engines, or an engine before its contexts, stops the process.
#include <NvInferRuntime.h>
#include <cuda_runtime_api.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "network.h"
#include "plan.h"
#include "standin_cudart.h"

namespace trtstandin {
namespace {

using nvinfer1::ILogger;
using Severity = nvinfer1::ILogger::Severity;

std::int64_t volumeOf(const std::vector<std::int64_t>& d) {
  std::int64_t n = 1;
  for (std::int64_t x : d) n = x < 0 ? -1 : (n < 0 ? -1 : n * x);
  return n;
}

std::size_t elementBytes(std::int32_t type) {
  switch (static_cast<DataType>(type)) {
    case DataType::kFLOAT: case DataType::kINT32: return 4;
    case DataType::kHALF: case DataType::kBF16: return 2;
    case DataType::kINT8: case DataType::kUINT8: case DataType::kBOOL: return 1;
    case DataType::kINT64: return 8;
    default: return 1;
  }
}

const char* formatDesc(std::int32_t type) {
  switch (static_cast<DataType>(type)) {
    case DataType::kFLOAT: return "Row major linear FP32 format (kLINEAR)";
    case DataType::kHALF: return "Row major linear FP16 format (kLINEAR)";
    case DataType::kINT8: return "Row major linear INT8 format (kLINEAR)";
    case DataType::kINT32: return "Row major linear INT32 format (kLINEAR)";
    case DataType::kINT64: return "Row major linear INT64 format (kLINEAR)";
    default: return "Row major linear format (kLINEAR)";
  }
}

Dims toDims(const std::vector<std::int64_t>& v) {
  Dims d{};
  d.nbDims = static_cast<int32_t>(v.size());
  for (std::size_t i = 0; i < v.size() && i < static_cast<std::size_t>(Dims::MAX_DIMS); ++i) d.d[i] = v[i];
  return d;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

class Runtime;
class Engine;

class Context final : public nvinfer1::IExecutionContext, public nvinfer1::apiv::standin_stub::StubVExecutionContext {
 public:
  explicit Context(Engine* engine);
  ~Context() override;

  bool setInputShape(char const* name, Dims const& dims) noexcept override;
  Dims getTensorShape(char const* name) const noexcept override;
  bool setTensorAddress(char const* name, void* data) noexcept override;
  bool enqueueV3(cudaStream_t stream) noexcept override;
  bool setDebugListener(nvinfer1::IDebugListener* l) noexcept override { listener_ = l; return true; }
  nvinfer1::IDebugListener* getDebugListener() noexcept override { return listener_; }
  bool setTensorDebugState(char const* name, bool flag) noexcept override;
  bool getDebugState(char const* name) const noexcept override { return name != nullptr && debugOn_.count(name) != 0; }
  bool setAllTensorsDebugState(bool flag) noexcept override { allDebug_ = flag; return true; }
#if TRTSTANDIN_AT_LEAST(10, 12)
  bool setUnfusedTensorsDebugState(bool flag) noexcept override { unfusedDebug_ = flag; return true; }
  bool getUnfusedTensorsDebugState() const noexcept override { return unfusedDebug_; }
#endif
  const nvinfer1::ICudaEngine& getEngine() const noexcept override;

 private:
  bool fail(const std::string& msg) const;
  bool reportDebugTensor(const PlanTensor& t, cudaStream_t stream) const;

  Engine* engine_;
  nvinfer1::IDebugListener* listener_ = nullptr;
  bool allDebug_ = false, unfusedDebug_ = false;
  std::set<std::string> debugOn_;
  std::map<std::string, std::vector<std::int64_t>> shapes_;
  std::map<std::string, void*> addresses_;
};

class Inspector final : public nvinfer1::IEngineInspector, public nvinfer1::apiv::standin_stub::StubVEngineInspector {
 public:
  explicit Inspector(const Engine* engine) : engine_(engine) { mImpl = this; }
  nvinfer1::IEngineInspector* getPImpl() noexcept override { return this; }
  bool setExecutionContext(nvinfer1::IExecutionContext const* c) noexcept override { context_ = c; return true; }
  nvinfer1::IExecutionContext const* getExecutionContext() const noexcept override { return context_; }
  char const* getLayerInformation(int32_t index, nvinfer1::LayerInformationFormat format) const noexcept override;
  char const* getEngineInformation(nvinfer1::LayerInformationFormat format) const noexcept override;

 private:
  std::string layerJson(const PlanLayer& l) const;
  const Engine* engine_;
  nvinfer1::IExecutionContext const* context_ = nullptr;
  mutable std::string text_;
};

class Engine final : public nvinfer1::ICudaEngine, public nvinfer1::apiv::standin_stub::StubVCudaEngine {
 public:
  Engine(Runtime* runtime, Plan plan);
  ~Engine() override;

  nvinfer1::IExecutionContext* createExecutionContext(nvinfer1::ExecutionContextAllocationStrategy) noexcept override {
    if (injectedFailure("createExecutionContext", logger())) return nullptr;
    return new Context(this);
  }
  nvinfer1::IEngineInspector* createEngineInspector() const noexcept override { return new Inspector(this); }
  Dims getTensorShape(char const* name) const noexcept override {
    const PlanTensor* t = io(name);
    return t == nullptr ? Dims{-1, {}} : toDims(t->dims);
  }
  DataType getTensorDataType(char const* name) const noexcept override {
    const PlanTensor* t = io(name);
    return t == nullptr ? DataType::kFLOAT : static_cast<DataType>(t->type);
  }
  nvinfer1::TensorIOMode getTensorIOMode(char const* name) const noexcept override {
    if (name == nullptr) return nvinfer1::TensorIOMode::kNONE;
    for (const PlanTensor& t : plan.inputs)
      if (t.name == name) return nvinfer1::TensorIOMode::kINPUT;
    for (const PlanTensor& t : plan.outputs)
      if (t.name == name) return nvinfer1::TensorIOMode::kOUTPUT;
    return nvinfer1::TensorIOMode::kNONE;
  }
  char const* getTensorFormatDesc(char const* name) const noexcept override {
    const PlanTensor* t = io(name);
    return t == nullptr ? nullptr : formatDesc(t->type);
  }
  int32_t getNbIOTensors() const noexcept override { return static_cast<int32_t>(plan.inputs.size() + plan.outputs.size()); }
  char const* getIOTensorName(int32_t i) const noexcept override {
    const std::size_t k = static_cast<std::size_t>(i);
    if (i < 0) return nullptr;
    if (k < plan.inputs.size()) return plan.inputs[k].name.c_str();
    if (k < plan.inputs.size() + plan.outputs.size()) return plan.outputs[k - plan.inputs.size()].name.c_str();
    return nullptr;
  }
  int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(plan.layers.size()); }

  const PlanTensor* io(const char* name) const {
    if (name == nullptr) return nullptr;
    for (const PlanTensor& t : plan.inputs)
      if (t.name == name) return &t;
    for (const PlanTensor& t : plan.outputs)
      if (t.name == name) return &t;
    return nullptr;
  }
  ILogger* logger() const;

  Plan plan;
  std::atomic<int> liveContexts{0};

 private:
  Runtime* runtime_;
};

class Runtime final : public nvinfer1::IRuntime, public nvinfer1::apiv::standin_stub::StubVRuntime {
 public:
  explicit Runtime(ILogger* logger) : logger_(logger) { mImpl = this; }
  ~Runtime() override {
    if (liveEngines != 0)
      contractViolation("IRuntime destroyed while " + std::to_string(liveEngines.load()) +
                        " ICudaEngine(s) created by it are alive (destroy engines first)");
  }
  nvinfer1::IRuntime* getPImpl() noexcept override { return this; }
  nvinfer1::ICudaEngine* deserializeCudaEngine(void const* blob, std::size_t size) noexcept override {
    if (injectedFailure("deserializeCudaEngine", logger_)) return nullptr;
    Plan plan;
    std::string why;
    if (!deserializePlan(blob, size, &plan, &why)) {
      log(Severity::kERROR, "Error Code 1: Serialization (" + why + ")");
      return nullptr;
    }
    if (plan.version != NV_TENSORRT_VERSION) {
      log(Severity::kERROR, "Error Code 1: Serialization (Serialization assertion stdVersionRead == "
                            "kSERIALIZATION_VERSION failed.Version tag does not match. Note: Current Version: " +
                                std::to_string(NV_TENSORRT_VERSION) + ", Serialized Engine Version: " +
                                std::to_string(plan.version) + ")");
      return nullptr;
    }
    return new Engine(this, std::move(plan));
  }
  ILogger* getLogger() const noexcept override { return logger_; }
  void log(Severity s, const std::string& msg) const {
    if (logger_ != nullptr) logger_->log(s, msg.c_str());
  }
  std::atomic<int> liveEngines{0};

 private:
  ILogger* logger_;
};

Engine::Engine(Runtime* runtime, Plan p) : plan(std::move(p)), runtime_(runtime) {
  mImpl = this;
  ++runtime_->liveEngines;
}

Engine::~Engine() {
  if (liveContexts != 0)
    contractViolation("ICudaEngine destroyed while " + std::to_string(liveContexts.load()) +
                      " IExecutionContext(s) created from it are alive (destroy contexts first)");
  --runtime_->liveEngines;
}

ILogger* Engine::logger() const { return runtime_->getLogger(); }

Context::Context(Engine* engine) : engine_(engine) {
  mImpl = this;
  ++engine_->liveContexts;
}

Context::~Context() { --engine_->liveContexts; }

const nvinfer1::ICudaEngine& Context::getEngine() const noexcept { return *engine_; }

bool Context::fail(const std::string& msg) const {
  if (ILogger* l = engine_->logger()) l->log(Severity::kERROR, msg.c_str());
  return false;
}

bool Context::setInputShape(char const* name, Dims const& dims) noexcept {
  const PlanTensor* t = engine_->io(name);
  if (t == nullptr || engine_->getTensorIOMode(name) != nvinfer1::TensorIOMode::kINPUT)
    return fail(std::string("IExecutionContext::setInputShape: Error Code 3: API Usage Error (") +
                (name != nullptr ? name : "(null)") + " is not an input tensor of the engine)");
  if (dims.nbDims != static_cast<int32_t>(t->dims.size()))
    return fail("IExecutionContext::setInputShape: Error Code 3: rank " + std::to_string(dims.nbDims) + " given for " +
                t->name + ", the engine expects " + std::to_string(t->dims.size()));
  std::vector<std::int64_t> shape;
  auto profile = engine_->plan.profile.find(t->name);
  for (int i = 0; i < dims.nbDims; ++i) {
    const std::int64_t want = t->dims[i] >= 0 ? t->dims[i] : (profile != engine_->plan.profile.end() ? profile->second[i] : -1);
    if (dims.d[i] != want)
      return fail("IExecutionContext::setInputShape: Error Code 3: dim " + std::to_string(i) + " of " + t->name + " is " +
                  std::to_string(dims.d[i]) + ", outside the optimization profile (" + std::to_string(want) + ")");
    shape.push_back(dims.d[i]);
  }
  shapes_[t->name] = shape;
  return true;
}

Dims Context::getTensorShape(char const* name) const noexcept {
  const PlanTensor* t = engine_->io(name);
  if (t == nullptr) return Dims{-1, {}};
  auto it = shapes_.find(t->name);
  if (it != shapes_.end()) return toDims(it->second);
  std::vector<std::int64_t> dims = t->dims;
  // Stand-in shape propagation: a dynamic leading (batch) dim of an output takes the profile's.
  if (!dims.empty() && dims[0] < 0 && !engine_->plan.profile.empty()) dims[0] = engine_->plan.profile.begin()->second[0];
  return toDims(dims);
}

bool Context::setTensorAddress(char const* name, void* data) noexcept {
  if (engine_->io(name) == nullptr)
    return fail(std::string("IExecutionContext::setTensorAddress: Error Code 3: API Usage Error (") +
                (name != nullptr ? name : "(null)") + " is not an I/O tensor of the engine)");
  addresses_[name] = data;
  return true;
}

bool Context::setTensorDebugState(char const* name, bool flag) noexcept {
  if (name == nullptr) return false;
  if (flag) debugOn_.insert(name);
  else debugOn_.erase(name);
  return true;
}

// Deterministic filler: a function of the tensor name and element index, never of the inputs'
// values — the harness checks names, shapes and control flow, not numbers.
void fill(const PlanTensor& t, void* dst, std::size_t bytes) {
  if (static_cast<DataType>(t.type) != DataType::kFLOAT) {
    std::memset(dst, 0, bytes);
    return;
  }
  std::uint32_t h = 2166136261u;
  for (unsigned char c : t.name) h = (h ^ c) * 16777619u;
  auto* f = static_cast<float*>(dst);
  for (std::size_t i = 0; i < bytes / sizeof(float); ++i)
    f[i] = static_cast<float>(static_cast<std::int64_t>((h ^ (i * 2654435761u)) % 2001u) - 1000) / 1000.0f;
}

bool Context::reportDebugTensor(const PlanTensor& t, cudaStream_t stream) const {
  const std::int64_t n = volumeOf(t.dims);
  if (n < 0) return true;
  const std::size_t bytes = static_cast<std::size_t>(n) * elementBytes(t.type);
  void* buffer = nullptr;
  if (cudaMalloc(&buffer, bytes) != cudaSuccess) return fail("debug tensor " + t.name + ": out of memory");
  fill(t, buffer, bytes);
  const bool ok = listener_->processDebugTensor(buffer, nvinfer1::TensorLocation::kDEVICE, static_cast<DataType>(t.type),
                                                toDims(t.dims), t.name.c_str(), stream);
  // TensorRT may reuse this memory as soon as the callback returns.
  const bool stillQueued = trtstandin_pendingReads(buffer, bytes);
  if (stillQueued) trtstandin_flushStream(stream);  // keep the process sane; the enqueue fails below
  cudaFree(buffer);
  if (stillQueued)
    return fail("[standin] a copy of debug tensor " + t.name + " was still queued when processDebugTensor returned; " +
                "the buffer is only valid during the callback (synchronise the stream inside it)");
  if (!ok) return fail("[standin] processDebugTensor returned false for " + t.name);
  return true;
}

bool Context::enqueueV3(cudaStream_t stream) noexcept {
  const Plan& plan = engine_->plan;
  std::uint64_t inputSum = 0;
  trtstandin_flushStream(stream);  // input copies queued before the enqueue run first, in stream order
  for (const auto* list : {&plan.inputs, &plan.outputs}) {
    const bool isInput = list == &plan.inputs;
    for (const PlanTensor& t : *list) {
      auto a = addresses_.find(t.name);
      if (a == addresses_.end() || a->second == nullptr)
        return fail("IExecutionContext::enqueueV3: Error Code 3: API Usage Error (Parameter check failed, condition: "
                    "address is not set for " + std::string(isInput ? "input" : "output") + " tensor " + t.name +
                    ". Call setInputTensorAddress or setTensorAddress before enqueue/execute.)");
      if (isInput && volumeOf(t.dims) < 0 && shapes_.count(t.name) == 0)
        return fail("IExecutionContext::enqueueV3: Error Code 3: the shape of dynamic input " + t.name + " was not set");
      const Dims d = getTensorShape(t.name.c_str());
      std::int64_t n = 1;
      for (int i = 0; i < d.nbDims; ++i) n *= d.d[i];
      const std::size_t bytes = static_cast<std::size_t>(n) * elementBytes(t.type);
      if (!trtstandin_isDevicePointer(a->second, bytes))
        return fail("[standin] enqueueV3: the address of " + t.name + " is not a device allocation of " +
                    std::to_string(bytes) + " bytes");
      if (isInput) {
        const auto* p = static_cast<const unsigned char*>(a->second);
        for (std::size_t i = 0; i < bytes; ++i) inputSum += p[i];  // reads every input byte (ASan)
      } else {
        fill(t, a->second, bytes);
      }
    }
  }
  (void)inputSum;
  if (listener_ == nullptr) return true;
  for (const PlanTensor& t : plan.debug) {
    const bool unfused = t.name.rfind("__mye", 0) == 0;  // internal names: unfused tensors
    const bool on = unfused ? unfusedDebug_ : (allDebug_ || debugOn_.count(t.name) != 0);
    if (on && !reportDebugTensor(t, stream)) return false;
  }
  return true;
}

std::string Inspector::layerJson(const PlanLayer& l) const {
  if (!engine_->plan.detailed) return jsonString(l.name);
  const auto tensors = [](const std::vector<PlanTensor>& ts) {
    std::string s = "[";
    for (std::size_t i = 0; i < ts.size(); ++i) {
      if (i > 0) s += ",";
      s += "{\"Name\":" + jsonString(ts[i].name) + ",\"Location\":\"Device\",\"Dimensions\":[";
      for (std::size_t k = 0; k < ts[i].dims.size(); ++k) s += (k > 0 ? "," : "") + std::to_string(ts[i].dims[k]);
      s += "],\"Format/Datatype\":" + jsonString(formatDesc(ts[i].type)) + "}";
    }
    return s + "]";
  };
  return "{\"Name\":" + jsonString(l.name) + ",\"LayerType\":" + jsonString(l.layerType) + ",\"Inputs\":" +
         tensors(l.inputs) + ",\"Outputs\":" + tensors(l.outputs) + ",\"TacticName\":\"standin\",\"StreamId\":0" +
         ",\"Metadata\":" + jsonString(l.metadata) + "}";
}

char const* Inspector::getLayerInformation(int32_t index, nvinfer1::LayerInformationFormat) const noexcept {
  if (index < 0 || static_cast<std::size_t>(index) >= engine_->plan.layers.size()) return nullptr;
  text_ = layerJson(engine_->plan.layers[static_cast<std::size_t>(index)]);
  return text_.c_str();
}

char const* Inspector::getEngineInformation(nvinfer1::LayerInformationFormat) const noexcept {
  std::string s = "{\"Layers\":[";
  for (std::size_t i = 0; i < engine_->plan.layers.size(); ++i) s += (i > 0 ? "," : "") + layerJson(engine_->plan.layers[i]);
  s += "],\"Bindings\":[";
  for (int32_t i = 0; i < engine_->getNbIOTensors(); ++i) s += (i > 0 ? "," : "") + jsonString(engine_->getIOTensorName(i));
  text_ = s + "]}";
  return text_.c_str();
}

}  // namespace
}  // namespace trtstandin

namespace {
std::int32_t libraryVersion() {
  // TRTSTANDIN_LIB_VERSION lets a test load a "library" whose version differs from the headers'.
  const char* env = std::getenv("TRTSTANDIN_LIB_VERSION");
  return env != nullptr ? static_cast<std::int32_t>(std::atoi(env)) : static_cast<std::int32_t>(NV_TENSORRT_VERSION);
}
}  // namespace

extern "C" TENSORRTAPI void* createInferRuntime_INTERNAL(void* logger, int32_t version) noexcept {
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  if (version / 10000 != NV_TENSORRT_MAJOR) {
    if (log != nullptr)
      log->log(nvinfer1::ILogger::Severity::kERROR,
               ("[standin] createInferRuntime: headers of TensorRT " + std::to_string(version) +
                " do not match this library (" + std::to_string(NV_TENSORRT_VERSION) + ")").c_str());
    return nullptr;
  }
  if (trtstandin::injectedFailure("createInferRuntime", log)) return nullptr;
  return static_cast<nvinfer1::IRuntime*>(new trtstandin::Runtime(log));
}

extern "C" TENSORRTAPI int32_t getInferLibVersion() noexcept { return libraryVersion(); }
extern "C" TENSORRTAPI int32_t getInferLibMajorVersion() noexcept { return libraryVersion() / 10000; }
extern "C" TENSORRTAPI int32_t getInferLibMinorVersion() noexcept { return libraryVersion() / 100 % 100; }
extern "C" TENSORRTAPI int32_t getInferLibPatchVersion() noexcept { return libraryVersion() % 100; }
extern "C" TENSORRTAPI int32_t getInferLibBuildVersion() noexcept { return 0; }
