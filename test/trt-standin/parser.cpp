// Stand-in libnvonnxparser (test/trt-standin: a contract harness — control flow, names and shapes,
// never numbers). Reads the real ONNX file and fills the stand-in network with one layer per ONNX
// node (named after the node, typed after its op) and one tensor per ONNX tensor (named after it),
// shapes taken from the model's graph inputs/outputs and value_info. A model without value_info for
// some tensor is refused, naming the tensor: run onnx.shape_inference on it first (the harness
// tests use models that carry shapes). Ops outside the table below are refused like the real
// parser refuses ops it has no importer for.
#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "network.h"
#include "onnx_reader.h"

namespace trtstandin {
namespace {

using nvinfer1::ILogger;
using Severity = nvinfer1::ILogger::Severity;

const std::map<std::string, LayerType>& opTable() {
  static const std::map<std::string, LayerType> table = {
      {"Conv", LayerType::kCONVOLUTION}, {"ConvTranspose", LayerType::kDECONVOLUTION},
      {"Relu", LayerType::kACTIVATION}, {"Sigmoid", LayerType::kACTIVATION}, {"Tanh", LayerType::kACTIVATION},
      {"LeakyRelu", LayerType::kACTIVATION}, {"Clip", LayerType::kACTIVATION}, {"HardSigmoid", LayerType::kACTIVATION},
      {"Elu", LayerType::kACTIVATION}, {"Softplus", LayerType::kACTIVATION}, {"HardSwish", LayerType::kACTIVATION},
      {"Add", LayerType::kELEMENTWISE}, {"Sub", LayerType::kELEMENTWISE}, {"Mul", LayerType::kELEMENTWISE},
      {"Div", LayerType::kELEMENTWISE}, {"Pow", LayerType::kELEMENTWISE}, {"Max", LayerType::kELEMENTWISE},
      {"Min", LayerType::kELEMENTWISE}, {"Equal", LayerType::kELEMENTWISE}, {"Greater", LayerType::kELEMENTWISE},
      {"Less", LayerType::kELEMENTWISE}, {"MaxPool", LayerType::kPOOLING}, {"AveragePool", LayerType::kPOOLING},
      {"GlobalAveragePool", LayerType::kPOOLING}, {"GlobalMaxPool", LayerType::kPOOLING},
      {"Concat", LayerType::kCONCATENATION}, {"Reshape", LayerType::kSHUFFLE}, {"Transpose", LayerType::kSHUFFLE},
      {"Flatten", LayerType::kSHUFFLE}, {"Squeeze", LayerType::kSHUFFLE}, {"Unsqueeze", LayerType::kSHUFFLE},
      {"Slice", LayerType::kSLICE}, {"Split", LayerType::kSLICE}, {"Resize", LayerType::kRESIZE},
      {"Upsample", LayerType::kRESIZE}, {"Softmax", LayerType::kSOFTMAX}, {"MatMul", LayerType::kMATRIX_MULTIPLY},
      {"Gemm", LayerType::kMATRIX_MULTIPLY}, {"Gather", LayerType::kGATHER}, {"Shape", LayerType::kSHAPE},
      {"Constant", LayerType::kCONSTANT}, {"QuantizeLinear", LayerType::kQUANTIZE},
      {"DequantizeLinear", LayerType::kDEQUANTIZE}, {"Cast", LayerType::kCAST}, {"Identity", LayerType::kIDENTITY},
      {"ReduceMean", LayerType::kREDUCE}, {"ReduceMax", LayerType::kREDUCE}, {"ReduceSum", LayerType::kREDUCE},
      {"Exp", LayerType::kUNARY}, {"Log", LayerType::kUNARY}, {"Sqrt", LayerType::kUNARY}, {"Abs", LayerType::kUNARY},
      {"Neg", LayerType::kUNARY}, {"Erf", LayerType::kUNARY}, {"Pad", LayerType::kPADDING},
      {"TopK", LayerType::kTOPK}, {"Where", LayerType::kSELECT}, {"BatchNormalization", LayerType::kSCALE},
  };
  return table;
}

DataType typeOf(int onnxElemType, bool* ok) {
  *ok = true;
  switch (onnxElemType) {
    case 1: return DataType::kFLOAT;
    case 2: return DataType::kUINT8;
    case 3: return DataType::kINT8;
    case 6: return DataType::kINT32;
    case 7: return DataType::kINT64;
    case 9: return DataType::kBOOL;
    case 10: return DataType::kHALF;
    case 16: return DataType::kBF16;
    default: *ok = false; return DataType::kFLOAT;
  }
}

Dims dimsOf(const std::vector<std::int64_t>& v) {
  Dims d{};
  d.nbDims = static_cast<int32_t>(v.size());
  for (std::size_t i = 0; i < v.size() && i < static_cast<std::size_t>(Dims::MAX_DIMS); ++i) d.d[i] = v[i];
  return d;
}

bool isIntType(DataType t) { return t == DataType::kINT32 || t == DataType::kINT64 || t == DataType::kBOOL; }

class ParserError final : public nvonnxparser::standin_stub::StubIParserError {
 public:
  ParserError(nvonnxparser::ErrorCode code, std::string desc, std::string node, std::string op, int index)
      : code_(code), desc_(std::move(desc)), node_(std::move(node)), op_(std::move(op)), index_(index) {}
  nvonnxparser::ErrorCode code() const override { return code_; }
  char const* desc() const override { return desc_.c_str(); }
  char const* file() const override { return "standin/parser.cpp"; }
  int line() const override { return 0; }
  char const* func() const override { return "parse"; }
  int node() const override { return index_; }
  char const* nodeName() const override { return node_.c_str(); }
  char const* nodeOperator() const override { return op_.c_str(); }
  char const* const* localFunctionStack() const override { return nullptr; }
  int32_t localFunctionStackSize() const override { return 0; }

 private:
  nvonnxparser::ErrorCode code_;
  std::string desc_, node_, op_;
  int index_;
};

class Parser final : public nvonnxparser::standin_stub::StubIParser {
 public:
  Parser(Network* net, ILogger* logger) : net_(net), logger_(logger) { ++net_->attachedParsers; }
  ~Parser() override { --net_->attachedParsers; }

  bool parseFromFile(const char* path, int /*verbosity*/) noexcept override {
    std::ifstream in(path != nullptr ? path : "", std::ios::binary);
    if (!in) return error(nvonnxparser::ErrorCode::kMODEL_DESERIALIZE_FAILED, std::string("Failed to open file: ") + (path ? path : "(null)"));
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str());
  }
  bool parse(void const* data, size_t size, const char* /*modelPath*/) noexcept override {
    return parse(std::string(static_cast<const char*>(data), size));
  }
  int getNbErrors() const noexcept override { return static_cast<int>(errors_.size()); }
  nvonnxparser::IParserError const* getError(int i) const noexcept override {
    return i >= 0 && i < getNbErrors() ? errors_[static_cast<std::size_t>(i)].get() : nullptr;
  }
  void clearErrors() noexcept override { errors_.clear(); }
  bool supportsOperator(const char* op) const noexcept override { return op != nullptr && opTable().count(op) != 0; }

 private:
  bool error(nvonnxparser::ErrorCode code, const std::string& desc, const std::string& node = "", const std::string& op = "",
             int index = -1) {
    errors_.push_back(std::make_unique<ParserError>(code, desc, node, op, index));
    if (logger_ != nullptr) logger_->log(Severity::kERROR, ("ModelImporter: " + desc).c_str());
    return false;
  }

  bool parse(const std::string& bytes) {
    OnnxGraph g;
    try {
      g = readOnnx(bytes);
    } catch (const std::exception& e) {
      return error(nvonnxparser::ErrorCode::kMODEL_DESERIALIZE_FAILED, std::string("Failed to parse ONNX model: ") + e.what());
    }
    std::unordered_map<std::string, const OnnxValue*> info;
    for (const auto* list : {&g.valueInfo, &g.outputs, &g.inputs})
      for (const OnnxValue& v : *list) info[v.name] = &v;
    std::unordered_map<std::string, const OnnxValue*> initializers;
    for (const OnnxValue& v : g.initializers) initializers[v.name] = &v;

    for (const OnnxValue& in : g.inputs) {
      if (initializers.count(in.name)) continue;
      bool ok;
      const DataType t = typeOf(in.elemType, &ok);
      if (!ok || !in.hasShape) return error(nvonnxparser::ErrorCode::kINVALID_GRAPH, "input " + in.name + " has no tensor type or shape");
      net_->addInputTensor(in.name, t, dimsOf(in.dims));
    }
    for (std::size_t k = 0; k < g.nodes.size(); ++k) {
      const OnnxNode& n = g.nodes[k];
      const std::string name = n.name.empty() ? n.opType + "_" + std::to_string(k) : n.name;
      auto op = opTable().find(n.opType);
      if (op == opTable().end() || (!n.domain.empty() && n.domain != "ai.onnx"))
        return error(nvonnxparser::ErrorCode::kUNSUPPORTED_NODE, "No importer registered for op: " + n.opType, name, n.opType,
                     static_cast<int>(k));
      std::vector<Tensor*> inputs;
      for (const std::string& i : n.inputs) {
        if (i.empty()) { inputs.push_back(nullptr); continue; }
        Tensor* t = net_->find(i);
        if (t == nullptr) t = constantFor(i, initializers);
        if (t == nullptr)
          return error(nvonnxparser::ErrorCode::kINVALID_GRAPH, "tensor " + i + " is used before it is produced", name, n.opType,
                       static_cast<int>(k));
        inputs.push_back(t);
      }
      Layer* layer = net_->addLayer(name, op->second, n.opType, inputs);
      for (const std::string& o : n.outputs) {
        if (o.empty()) continue;
        Tensor* t = addOutput(layer, n, o, info);
        if (t == nullptr)
          return error(nvonnxparser::ErrorCode::kINVALID_GRAPH,
                       "[standin] no shape for tensor " + o + " (the stand-in parser reads shapes from value_info; run "
                       "onnx.shape_inference on the model)", name, n.opType, static_cast<int>(k));
      }
    }
    for (const OnnxValue& out : g.outputs) {
      Tensor* t = net_->find(out.name);
      if (t == nullptr) return error(nvonnxparser::ErrorCode::kINVALID_GRAPH, "graph output " + out.name + " is never produced");
      t->graphOutput = true;
      net_->markOutput(*t);
    }
    return true;
  }

  // Initializers become constant layers the first time a node reads them.
  Tensor* constantFor(const std::string& name, const std::unordered_map<std::string, const OnnxValue*>& initializers) {
    auto it = initializers.find(name);
    if (it == initializers.end()) return nullptr;
    bool ok;
    const DataType t = typeOf(it->second->elemType, &ok);
    Layer* layer = net_->addLayer(name, LayerType::kCONSTANT, "Initializer", {});
    Tensor* out = net_->addOutputTensor(layer, name, t, dimsOf(it->second->dims));
    out->shape = isIntType(t);
    return out;
  }

  Tensor* addOutput(Layer* layer, const OnnxNode& n, const std::string& name,
                    const std::unordered_map<std::string, const OnnxValue*>& info) {
    const Tensor* first = layer->inputs.empty() ? nullptr : layer->inputs[0];
    bool ok = false;
    DataType type = DataType::kFLOAT;
    std::vector<std::int64_t> dims;
    bool known = false;
    auto it = info.find(name);
    if (it != info.end() && it->second->hasShape) {
      dims = it->second->dims;
      known = true;
    }
    if (it != info.end()) type = typeOf(it->second->elemType, &ok);
    if (n.opType == "Constant") {
      type = typeOf(n.constant.elemType, &ok);
      dims = n.constant.dims;
      known = true;
    } else if (n.opType == "Shape") {
      type = DataType::kINT64;
      ok = true;
      if (!known && first != nullptr) { dims = {first->dims().nbDims}; known = true; }
    } else if (n.opType == "QuantizeLinear") {
      type = DataType::kINT8;  // TensorRT quantises to INT8 whatever the ONNX zero point's type
      ok = true;
    } else if (n.opType == "DequantizeLinear") {
      type = DataType::kFLOAT;
      ok = true;
    } else if (n.opType == "Cast" && n.ints.count("to")) {
      type = typeOf(static_cast<int>(n.ints.at("to")), &ok);
    }
    if (!ok && first != nullptr) type = first->type();
    // Element-wise single-input ops keep their input's shape when value_info lacks it.
    const bool sameShape = n.opType == "QuantizeLinear" || n.opType == "DequantizeLinear" || n.opType == "Cast" ||
                           n.opType == "Identity" || layer->type() == LayerType::kACTIVATION || layer->type() == LayerType::kUNARY;
    if (!known && sameShape && first != nullptr) {
      for (int i = 0; i < first->dims().nbDims; ++i) dims.push_back(first->dims().d[i]);
      known = true;
    }
    if (!known) return nullptr;
    Tensor* t = net_->addOutputTensor(layer, name, type, dimsOf(dims));
    // Shape tensors: Shape outputs and integer tensors computed only from shape tensors/constants.
    bool fromShapes = isIntType(type) && !layer->inputs.empty();
    for (const Tensor* in : layer->inputs)
      if (in != nullptr && !in->shape) fromShapes = false;
    t->shape = n.opType == "Shape" || (fromShapes && layer->type() != LayerType::kQUANTIZE);
    return t;
  }

  Network* net_;
  ILogger* logger_;
  std::vector<std::unique_ptr<ParserError>> errors_;
};

}  // namespace
}  // namespace trtstandin

extern "C" TENSORRTAPI void* createNvOnnxParser_INTERNAL(void* network, void* logger, int /*version*/) noexcept {
  auto* log = static_cast<nvinfer1::ILogger*>(logger);
  if (trtstandin::injectedFailure("createParser", log)) return nullptr;
  auto* net = dynamic_cast<trtstandin::Network*>(static_cast<nvinfer1::INetworkDefinition*>(network));
  if (net == nullptr) trtstandin::contractViolation("createParser: the network was not created by the stand-in builder");
  return static_cast<nvonnxparser::IParser*>(new trtstandin::Parser(net, log));
}

extern "C" TENSORRTAPI int getNvOnnxParserVersion() noexcept { return NV_ONNX_PARSER_VERSION; }
