// Network definition of the stand-in TensorRT (test/trt-standin; a contract harness: control flow,
// lifetimes, names, shapes and coverage — never numbers). Each class is both the public TensorRT
// object (ITensor, ILayer, INetworkDefinition) and its implementation (the apiv::V* interface the
// public inline methods forward to), so the addon's calls go through the real headers' code.
#pragma once

#include <NvInfer.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "standin_stubs.h"

namespace trtstandin {

using nvinfer1::DataType;
using nvinfer1::Dims;
using nvinfer1::LayerType;

#define TRTSTANDIN_AT_LEAST(major, minor) \
  (NV_TENSORRT_MAJOR > (major) || (NV_TENSORRT_MAJOR == (major) && NV_TENSORRT_MINOR >= (minor)))

class Layer;

class Tensor final : public nvinfer1::ITensor, public nvinfer1::apiv::standin_stub::StubVTensor {
 public:
  Tensor(std::string name, DataType type, Dims dims) : name_(std::move(name)), type_(type), dims_(dims) { mImpl = this; }
  ~Tensor() override = default;

  void setName(char const* name) noexcept override { name_ = name != nullptr ? name : ""; }
  char const* getName() const noexcept override { return name_.c_str(); }
  void setDimensions(Dims const& d) noexcept override { dims_ = d; }
  Dims getDimensions() const noexcept override { return dims_; }
  DataType getType() const noexcept override { return type_; }
  bool isNetworkInput() const noexcept override { return input; }
  bool isNetworkOutput() const noexcept override { return output; }
  nvinfer1::TensorLocation getLocation() const noexcept override { return nvinfer1::TensorLocation::kDEVICE; }
  bool isShapeTensor() const noexcept override { return shape; }
  bool isExecutionTensor() const noexcept override { return !shape; }

  const std::string& name() const { return name_; }
  DataType type() const { return type_; }
  const Dims& dims() const { return dims_; }

  bool input = false, output = false, shape = false, debug = false;
  bool graphOutput = false;  // an output of the ONNX graph itself (set by the parser)
  Layer* producer = nullptr;
  std::vector<Layer*> consumers;

 private:
  std::string name_;
  DataType type_;
  Dims dims_;
};

class Layer final : public nvinfer1::ILayer, public nvinfer1::apiv::standin_stub::StubVLayer {
 public:
  Layer(std::string name, LayerType type, std::string op) : onnxOp(std::move(op)), name_(std::move(name)), type_(type) {
    mLayer = this;
  }
  ~Layer() override = default;

  LayerType getType() const noexcept override { return type_; }
  void setName(char const* name) noexcept override { name_ = name != nullptr ? name : ""; }
  char const* getName() const noexcept override { return name_.c_str(); }
  int32_t getNbInputs() const noexcept override { return static_cast<int32_t>(inputs.size()); }
  nvinfer1::ITensor* getInput(int32_t i) const noexcept override {
    return i >= 0 && i < getNbInputs() ? inputs[i] : nullptr;
  }
  int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(outputs.size()); }
  nvinfer1::ITensor* getOutput(int32_t i) const noexcept override {
    return i >= 0 && i < getNbOutputs() ? outputs[i] : nullptr;
  }
  DataType getOutputType(int32_t i) const noexcept override {
    return i >= 0 && i < getNbOutputs() ? outputs[i]->type() : DataType::kFLOAT;
  }
  void setMetadata(char const* s) noexcept override { metadata = s != nullptr ? s : ""; }
  char const* getMetadata() const noexcept override { return metadata.c_str(); }

  const std::string& name() const { return name_; }
  LayerType type() const { return type_; }

  std::string onnxOp;
  std::string metadata;
  std::vector<Tensor*> inputs;  // nullptr for an omitted optional input
  std::vector<Tensor*> outputs;

 private:
  std::string name_;
  LayerType type_;
};

class Network final : public nvinfer1::INetworkDefinition, public nvinfer1::apiv::standin_stub::StubVNetworkDefinition {
 public:
  Network(nvinfer1::NetworkDefinitionCreationFlags flags, nvinfer1::ILogger* logger) : flags_(flags), logger_(logger) {
    mImpl = this;
  }
  ~Network() override;

  // Building (used by the stand-in ONNX parser).
  Tensor* addInputTensor(const std::string& name, DataType type, Dims dims);
  Layer* addLayer(const std::string& name, LayerType type, const std::string& onnxOp, const std::vector<Tensor*>& inputs);
  Tensor* addOutputTensor(Layer* layer, const std::string& name, DataType type, Dims dims);
  Tensor* find(const std::string& name) const;

  // INetworkDefinition
  void markOutput(nvinfer1::ITensor& tensor) noexcept override;
  void unmarkOutput(nvinfer1::ITensor& tensor) noexcept override;
  int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(layers_.size()); }
  nvinfer1::ILayer* getLayer(int32_t i) const noexcept override {
    return i >= 0 && i < getNbLayers() ? layers_[i].get() : nullptr;
  }
  int32_t getNbInputs() const noexcept override { return static_cast<int32_t>(inputs_.size()); }
  nvinfer1::ITensor* getInput(int32_t i) const noexcept override {
    return i >= 0 && i < getNbInputs() ? inputs_[i] : nullptr;
  }
  int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(outputs_.size()); }
  nvinfer1::ITensor* getOutput(int32_t i) const noexcept override {
    return i >= 0 && i < getNbOutputs() ? outputs_[i] : nullptr;
  }
  void setName(char const* name) noexcept override { name_ = name != nullptr ? name : ""; }
  char const* getName() const noexcept override { return name_.c_str(); }
  nvinfer1::NetworkDefinitionCreationFlags getFlags() const noexcept override { return flags_; }
  bool getFlag(nvinfer1::NetworkDefinitionCreationFlag f) const noexcept override {
    return (flags_ & (1U << static_cast<uint32_t>(f))) != 0;
  }
  bool markDebug(nvinfer1::ITensor& tensor) noexcept override;
  bool unmarkDebug(nvinfer1::ITensor& tensor) noexcept override;
  bool isDebugTensor(nvinfer1::ITensor const& tensor) const noexcept override;
#if TRTSTANDIN_AT_LEAST(10, 12)
  bool markUnfusedTensorsAsDebugTensors() noexcept override { unfusedDebug_ = true; return true; }
  bool unmarkUnfusedTensorsAsDebugTensors() noexcept override { unfusedDebug_ = false; return true; }
#endif

  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  const std::vector<Tensor*>& inputs() const { return inputs_; }
  const std::vector<Tensor*>& outputs() const { return outputs_; }
  bool unfusedDebug() const { return unfusedDebug_; }
  nvinfer1::ILogger* logger() const { return logger_; }
  void log(nvinfer1::ILogger::Severity s, const std::string& msg) const;
  // Set by the parser that fills this network; the stand-in checks it is destroyed first.
  int attachedParsers = 0;

 private:
  Tensor* own(std::unique_ptr<Tensor> t);
  Tensor* checked(nvinfer1::ITensor& t, const char* what) const;

  nvinfer1::NetworkDefinitionCreationFlags flags_;
  nvinfer1::ILogger* logger_;
  std::string name_;
  bool unfusedDebug_ = false;
  std::vector<std::unique_ptr<Tensor>> tensors_;
  std::unordered_map<std::string, Tensor*> byName_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Tensor*> inputs_, outputs_;
};

// Stops the harness: the addon broke a TensorRT lifetime or usage rule that real TensorRT would
// answer with undefined behaviour (e.g. a network destroyed while its parser is alive).
[[noreturn]] void contractViolation(const std::string& what);

// Failure injection for the harness's error-path tests: true (after logging an error like TensorRT
// does) when `call` is named in the comma-separated TRTSTANDIN_FAIL environment variable, e.g.
// TRTSTANDIN_FAIL=createNetworkV2,createParser.
bool injectedFailure(const char* call, nvinfer1::ILogger* logger);

}  // namespace trtstandin
