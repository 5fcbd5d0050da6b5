// Stand-in IBuilder / IBuilderConfig / IOptimizationProfile / IHostMemory and the "compiler" that
// turns a network into a plan (test/trt-standin: a contract harness — control flow, lifetimes,
// names, shapes and coverage, never numbers). What it imitates from real TensorRT, because the
// addon's control flow depends on it:
//  - Q/DQ layers are fused into a neighbouring layer (their ONNX names move into that layer's
//    metadata); a Q/DQ output marked as a network output is therefore not exposed (warning), unless
//    it is an output of the ONNX graph itself;
//  - before 10.12 only marked outputs come back; from 10.12, markUnfusedTensorsAsDebugTensors
//    exposes every unfused tensor as a debug tensor under an internal (non-ONNX) name, the ONNX
//    node names being recoverable from the inspector's layer metadata;
//  - dynamic inputs need an optimisation profile; implicit INT8 (10.x) reads the calibrator's
//    cache during the build, so a calibrator that died early is a use-after-free under ASan.
#include <NvInfer.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "network.h"
#include "plan.h"

namespace trtstandin {
namespace {

using nvinfer1::ILogger;
using Severity = nvinfer1::ILogger::Severity;

class HostMemory final : public nvinfer1::IHostMemory, public nvinfer1::apiv::standin_stub::StubVHostMemory {
 public:
  explicit HostMemory(std::string bytes) : bytes_(std::move(bytes)) { mImpl = this; }
  void* data() const noexcept override { return const_cast<char*>(bytes_.data()); }
  std::size_t size() const noexcept override { return bytes_.size(); }
  DataType type() const noexcept override { return DataType::kUINT8; }

 private:
  std::string bytes_;
};

class OptimizationProfile final : public nvinfer1::IOptimizationProfile,
                                  public nvinfer1::apiv::standin_stub::StubVOptimizationProfile {
 public:
  OptimizationProfile() { mImpl = this; }
  bool setDimensions(char const* name, nvinfer1::OptProfileSelector select, Dims const& dims) noexcept override {
    if (name == nullptr || dims.nbDims < 0) return false;
    shapes[name][static_cast<int>(select)] = dims;
    return true;
  }
  Dims getDimensions(char const* name, nvinfer1::OptProfileSelector select) const noexcept override {
    auto it = shapes.find(name != nullptr ? name : "");
    if (it == shapes.end()) return Dims{-1, {}};
    auto s = it->second.find(static_cast<int>(select));
    return s == it->second.end() ? Dims{-1, {}} : s->second;
  }
  bool isValid() const noexcept override { return !shapes.empty(); }
  std::map<std::string, std::map<int, Dims>> shapes;  // input → selector → dims
};

class BuilderConfig final : public nvinfer1::IBuilderConfig, public nvinfer1::apiv::standin_stub::StubVBuilderConfig {
 public:
  BuilderConfig() { mImpl = this; }
  void setFlag(nvinfer1::BuilderFlag f) noexcept override { flags |= 1ULL << static_cast<int>(f); }
  void clearFlag(nvinfer1::BuilderFlag f) noexcept override { flags &= ~(1ULL << static_cast<int>(f)); }
  bool getFlag(nvinfer1::BuilderFlag f) const noexcept override { return (flags >> static_cast<int>(f)) & 1ULL; }
  int32_t addOptimizationProfile(nvinfer1::IOptimizationProfile const* p) noexcept override {
    if (p == nullptr) return -1;
    profiles.push_back(p);
    return static_cast<int32_t>(profiles.size() - 1);
  }
  void setProfilingVerbosity(nvinfer1::ProfilingVerbosity v) noexcept override { verbosity = v; }
  nvinfer1::ProfilingVerbosity getProfilingVerbosity() const noexcept override { return verbosity; }
  void setMemoryPoolLimit(nvinfer1::MemoryPoolType, std::size_t) noexcept override {}
#if NV_TENSORRT_MAJOR < 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  void setInt8Calibrator(nvinfer1::IInt8Calibrator* c) noexcept override { calibrator = c; }
  nvinfer1::IInt8Calibrator* getInt8Calibrator() const noexcept override { return calibrator; }
  nvinfer1::IInt8Calibrator* calibrator = nullptr;
#pragma GCC diagnostic pop
#endif
  std::uint64_t flags = 0;
  nvinfer1::ProfilingVerbosity verbosity = nvinfer1::ProfilingVerbosity::kLAYER_NAMES_ONLY;
  std::vector<nvinfer1::IOptimizationProfile const*> profiles;
};

const char* layerTypeName(LayerType t) {
  switch (t) {
    case LayerType::kCONVOLUTION: return "Convolution";
    case LayerType::kDECONVOLUTION: return "Deconvolution";
    case LayerType::kACTIVATION: return "Activation";
    case LayerType::kPOOLING: return "Pooling";
    case LayerType::kELEMENTWISE: return "ElementWise";
    case LayerType::kCONCATENATION: return "Concatenation";
    case LayerType::kSHUFFLE: return "Shuffle";
    case LayerType::kSLICE: return "Slice";
    case LayerType::kRESIZE: return "Resize";
    case LayerType::kSOFTMAX: return "SoftMax";
    case LayerType::kMATRIX_MULTIPLY: return "MatrixMultiply";
    case LayerType::kQUANTIZE: return "Quantize";
    case LayerType::kDEQUANTIZE: return "Dequantize";
    case LayerType::kUNARY: return "Unary";
    case LayerType::kREDUCE: return "Reduce";
    case LayerType::kGATHER: return "Gather";
    case LayerType::kCAST: return "Cast";
    case LayerType::kIDENTITY: return "Identity";
    default: return "Layer";
  }
}

bool isQdq(const Layer* l) { return l->type() == LayerType::kQUANTIZE || l->type() == LayerType::kDEQUANTIZE; }

// Layers TensorRT evaluates at build time: constants and shape arithmetic.
bool foldedAtBuild(const Layer* l) {
  if (l->type() == LayerType::kCONSTANT) return true;
  if (l->outputs.empty()) return false;
  return std::all_of(l->outputs.begin(), l->outputs.end(), [](const Tensor* t) { return t->shape; });
}

PlanTensor planTensor(const std::string& name, const Tensor* t) {
  PlanTensor p;
  p.name = name;
  p.type = static_cast<std::int32_t>(t->type());
  for (int i = 0; i < t->dims().nbDims; ++i) p.dims.push_back(t->dims().d[i]);
  return p;
}

class Compiler {
 public:
  Compiler(const Network& net, const BuilderConfig& config) : net_(net), config_(config) {}

  // Returns false (with errors logged) when real TensorRT would refuse to build.
  bool compile(Plan* plan) {
    plan->version = NV_TENSORRT_VERSION;
    plan->detailed = config_.verbosity == nvinfer1::ProfilingVerbosity::kDETAILED;
    if (net_.outputs().empty()) return error("Error Code 4: Network must have at least one output");
    if (!profiles(plan)) return false;
    if (!int8(plan)) return false;
    for (Tensor* t : net_.inputs()) plan->inputs.push_back(planTensor(t->name(), t));

    // Which layers survive as engine layers, and where each fused Q/DQ layer's name goes.
    std::map<const Layer*, std::vector<std::string>> before, after;
    std::set<const Layer*> kept;
    for (const auto& l : net_.layers())
      if (!foldedAtBuild(l.get()) && (!isQdq(l.get()) || exposesGraphOutput(l.get()))) kept.insert(l.get());
    for (const auto& owned : net_.layers()) {
      const Layer* l = owned.get();
      if (!isQdq(l) || kept.count(l) != 0) continue;
      const std::string entry = onnxEntry(l);
      const Tensor* in = l->inputs.empty() ? nullptr : l->inputs[0];
      if (l->type() == LayerType::kQUANTIZE && in != nullptr && in->producer != nullptr && kept.count(in->producer)) {
        after[in->producer].push_back(entry);
      } else if (const Layer* consumer = firstKeptConsumer(l, kept)) {
        before[consumer].push_back(entry);
      }
    }
    const char separator = NV_TENSORRT_MAJOR >= 11 ? '\x1F' : '\x1E';
    for (const auto& owned : net_.layers()) {
      const Layer* l = owned.get();
      if (kept.count(l) == 0) continue;
      PlanLayer pl;
      pl.name = l->name();
      pl.layerType = layerTypeName(l->type());
      std::vector<std::string> entries = before[l];
      entries.push_back(onnxEntry(l));
      entries.insert(entries.end(), after[l].begin(), after[l].end());
      for (std::size_t i = 0; i < entries.size(); ++i) pl.metadata += (i > 0 ? std::string(1, separator) : "") + entries[i];
      for (const Tensor* t : l->inputs)
        if (t != nullptr && !t->shape) pl.inputs.push_back(planTensor(engineName(t), t));
      for (const Tensor* t : l->outputs) {
        pl.outputs.push_back(planTensor(engineName(t), t));
        if (t->output) continue;
        if (t->debug || (net_.unfusedDebug() && t->isExecutionTensor())) plan->debug.push_back(pl.outputs.back());
      }
      plan->layers.push_back(std::move(pl));
    }
    for (Tensor* t : net_.outputs()) {
      if (t->producer != nullptr && kept.count(t->producer) == 0 && !t->graphOutput) {
        net_.log(Severity::kWARNING, "[standin] " + t->name() + " is produced by " + t->producer->name() +
                                         ", a Q/DQ layer fused into its neighbour; it is not an engine output");
        continue;
      }
      plan->outputs.push_back(planTensor(t->name(), t));
    }
    return true;
  }

 private:
  bool error(const std::string& msg) {
    net_.log(Severity::kERROR, msg);
    return false;
  }

  static std::string onnxEntry(const Layer* l) { return "[ONNX Layer: " + l->name() + "]"; }

  bool exposesGraphOutput(const Layer* l) const {
    return std::any_of(l->outputs.begin(), l->outputs.end(), [](const Tensor* t) { return t->graphOutput; });
  }

  // First engine layer reached from `l`'s outputs through fused Q/DQ layers.
  const Layer* firstKeptConsumer(const Layer* l, const std::set<const Layer*>& kept) const {
    for (const Tensor* t : l->outputs)
      for (const Layer* c : t->consumers) {
        if (kept.count(c)) return c;
        if (isQdq(c))
          if (const Layer* found = firstKeptConsumer(c, kept)) return found;
      }
    return nullptr;
  }

  // Network inputs and outputs and explicitly marked debug tensors keep their names; every other
  // tensor gets an internal name, as TensorRT may give fused tensors (NvInfer.h,
  // markUnfusedTensorsAsDebugTensors).
  std::string engineName(const Tensor* t) {
    if (t->input || t->output || t->debug) return t->name();
    // A fused Q/DQ layer's output is its input, as far as the engine's layers see it.
    if (t->producer != nullptr && isQdq(t->producer) && !t->producer->inputs.empty() && t->producer->inputs[0] != nullptr)
      return engineName(t->producer->inputs[0]);
    auto it = internal_.find(t);
    if (it != internal_.end()) return it->second;
    return internal_[t] = "__mye" + std::to_string(1000 + internal_.size());
  }

  bool profiles(Plan* plan) {
    for (Tensor* t : net_.inputs()) {
      bool dynamic = false;
      for (int i = 0; i < t->dims().nbDims; ++i) dynamic = dynamic || t->dims().d[i] < 0;
      if (!dynamic) continue;
      const OptimizationProfile* found = nullptr;
      for (auto* p : config_.profiles) {
        auto* op = static_cast<const OptimizationProfile*>(p);
        if (op->shapes.count(t->name())) found = op;
      }
      if (found == nullptr)
        return error("Error Code 4: API Usage Error (Network has dynamic or shape inputs, but no optimization "
                     "profile has been defined for " + t->name() + ".)");
      const auto& sel = found->shapes.at(t->name());
      auto opt = sel.find(static_cast<int>(nvinfer1::OptProfileSelector::kOPT));
      if (opt == sel.end() || opt->second.nbDims != t->dims().nbDims)
        return error("Error Code 4: optimization profile for " + t->name() + " lacks kOPT dims of rank " +
                     std::to_string(t->dims().nbDims));
      std::vector<std::int64_t> dims;
      for (int i = 0; i < opt->second.nbDims; ++i) {
        const std::int64_t fixed = t->dims().d[i], given = opt->second.d[i];
        if (given <= 0 || (fixed >= 0 && fixed != given))
          return error("Error Code 4: optimization profile dim " + std::to_string(i) + " of " + t->name() +
                       " is " + std::to_string(given) + ", the network says " + std::to_string(fixed));
        dims.push_back(given);
      }
      plan->profile[t->name()] = dims;
    }
    return true;
  }

  bool int8(Plan* plan) {
#if NV_TENSORRT_MAJOR < 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    if (!config_.getFlag(nvinfer1::BuilderFlag::kINT8)) return true;
    plan->int8 = true;
    const bool qdq = std::any_of(net_.layers().begin(), net_.layers().end(), [](const auto& l) { return isQdq(l.get()); });
    nvinfer1::IInt8Calibrator* c = config_.calibrator;
    if (c == nullptr) {
      if (!qdq)
        net_.log(Severity::kWARNING, "Calibrator is not being used. Users must provide dynamic range for all tensors "
                                     "that are not Int32 or Bool.");
      return true;
    }
    if (c->getBatchSize() <= 0) return error("Error Code 2: calibrator batch size must be positive");
    std::size_t length = 0;
    const void* cache = c->readCalibrationCache(length);
    if (cache == nullptr || length == 0) {
      void* bindings[1] = {nullptr};
      char const* names[1] = {nullptr};
      if (!c->getBatch(bindings, names, 0))
        return error("Error Code 2: Calibration failure occurred with no scaling factors detected.");
      return true;
    }
    const std::string text(static_cast<const char*>(cache), length);
    const std::string header = text.substr(0, text.find('\n'));
    const nvinfer1::CalibrationAlgoType algo = c->getAlgorithm();
    const bool matches = (algo == nvinfer1::CalibrationAlgoType::kENTROPY_CALIBRATION_2 &&
                          header.find("EntropyCalibration2") != std::string::npos) ||
                         (algo == nvinfer1::CalibrationAlgoType::kMINMAX_CALIBRATION &&
                          header.find("MinMaxCalibration") != std::string::npos);
    if (!matches) return error("Error Code 2: calibration cache header " + header + " does not match the calibrator");
    for (const auto& l : net_.layers())
      for (const Tensor* t : l->outputs)
        if (t->isExecutionTensor() && t->type() == DataType::kFLOAT && text.find("\n" + t->name() + ": ") == std::string::npos)
          net_.log(Severity::kWARNING, "Missing scale and zero-point for tensor " + t->name() +
                                           ", expect fall back to non-int8 implementation");
#pragma GCC diagnostic pop
#else
    (void)plan;
#endif
    return true;
  }

  const Network& net_;
  const BuilderConfig& config_;
  std::map<const Tensor*, std::string> internal_;
};

class Builder final : public nvinfer1::IBuilder, public nvinfer1::apiv::standin_stub::StubVBuilder {
 public:
  explicit Builder(ILogger* logger) : logger_(logger) { mImpl = this; }
  nvinfer1::IBuilderConfig* createBuilderConfig() noexcept override {
    return injectedFailure("createBuilderConfig", logger_) ? nullptr : new BuilderConfig();
  }
  nvinfer1::INetworkDefinition* createNetworkV2(nvinfer1::NetworkDefinitionCreationFlags flags) noexcept override {
    return injectedFailure("createNetworkV2", logger_) ? nullptr : new Network(flags, logger_);
  }
  nvinfer1::IOptimizationProfile* createOptimizationProfile() noexcept override {
    profiles_.push_back(std::make_unique<OptimizationProfile>());
    return profiles_.back().get();
  }
  nvinfer1::IHostMemory* buildSerializedNetwork(nvinfer1::INetworkDefinition& network,
                                                nvinfer1::IBuilderConfig& config) noexcept override {
    auto* net = dynamic_cast<Network*>(&network);
    auto* cfg = dynamic_cast<BuilderConfig*>(&config);
    if (net == nullptr || cfg == nullptr) contractViolation("buildSerializedNetwork: network or config not from this builder");
    Plan plan;
    if (!Compiler(*net, *cfg).compile(&plan)) return nullptr;
    return new HostMemory(serializePlan(plan));
  }
  ILogger* getLogger() const noexcept override { return logger_; }

 private:
  ILogger* logger_;
  std::vector<std::unique_ptr<OptimizationProfile>> profiles_;
};

}  // namespace
}  // namespace trtstandin

extern "C" TENSORRTAPI void* createInferBuilder_INTERNAL(void* logger, int32_t version) noexcept {
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  if (version / 10000 != NV_TENSORRT_MAJOR) {
    if (log != nullptr)
      log->log(nvinfer1::ILogger::Severity::kERROR,
               ("[standin] createInferBuilder: headers of TensorRT " + std::to_string(version) +
                " do not match this library (" + std::to_string(NV_TENSORRT_VERSION) + ")").c_str());
    return nullptr;
  }
  if (trtstandin::injectedFailure("createInferBuilder", log)) return nullptr;
  return static_cast<nvinfer1::IBuilder*>(new trtstandin::Builder(log));
}
