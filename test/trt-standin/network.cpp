#include "network.h"

#include <algorithm>

namespace trtstandin {

void contractViolation(const std::string& what) {
  std::fprintf(stderr, "trt-standin: contract violation: %s\n", what.c_str());
  std::abort();
}

bool injectedFailure(const char* call, nvinfer1::ILogger* logger) {
  const char* env = std::getenv("TRTSTANDIN_FAIL");
  if (env == nullptr) return false;
  const std::string list = std::string(",") + env + ",";
  if (list.find(std::string(",") + call + ",") == std::string::npos) return false;
  if (logger != nullptr)
    logger->log(nvinfer1::ILogger::Severity::kERROR, (std::string("[standin] ") + call + " failed (TRTSTANDIN_FAIL)").c_str());
  return true;
}

Network::~Network() {
  if (attachedParsers != 0)
    contractViolation("INetworkDefinition destroyed while the IParser that fills it is alive "
                      "(TensorRT requires the parser to be destroyed first)");
}

void Network::log(nvinfer1::ILogger::Severity s, const std::string& msg) const {
  if (logger_ != nullptr) logger_->log(s, msg.c_str());
}

Tensor* Network::own(std::unique_ptr<Tensor> t) {
  Tensor* raw = t.get();
  byName_[raw->name()] = raw;
  tensors_.push_back(std::move(t));
  return raw;
}

Tensor* Network::addInputTensor(const std::string& name, DataType type, Dims dims) {
  Tensor* t = own(std::make_unique<Tensor>(name, type, dims));
  t->input = true;
  inputs_.push_back(t);
  return t;
}

Layer* Network::addLayer(const std::string& name, LayerType type, const std::string& onnxOp,
                         const std::vector<Tensor*>& inputs) {
  layers_.push_back(std::make_unique<Layer>(name, type, onnxOp));
  Layer* l = layers_.back().get();
  l->inputs = inputs;
  for (Tensor* t : inputs)
    if (t != nullptr) t->consumers.push_back(l);
  return l;
}

Tensor* Network::addOutputTensor(Layer* layer, const std::string& name, DataType type, Dims dims) {
  Tensor* t = own(std::make_unique<Tensor>(name, type, dims));
  t->producer = layer;
  layer->outputs.push_back(t);
  return t;
}

Tensor* Network::find(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

// A reference that is not one of this network's tensors is a caller bug that real TensorRT would not
// survive; stop with a message instead.
Tensor* Network::checked(nvinfer1::ITensor& t, const char* what) const {
  for (const auto& own : tensors_)
    if (static_cast<nvinfer1::ITensor*>(own.get()) == &t) return own.get();
  contractViolation(std::string(what) + ": the tensor does not belong to this network");
}

void Network::markOutput(nvinfer1::ITensor& tensor) noexcept {
  Tensor* t = checked(tensor, "markOutput");
  if (t->output) return;
  t->output = true;
  outputs_.push_back(t);
}

void Network::unmarkOutput(nvinfer1::ITensor& tensor) noexcept {
  Tensor* t = checked(tensor, "unmarkOutput");
  t->output = false;
  outputs_.erase(std::remove(outputs_.begin(), outputs_.end(), t), outputs_.end());
}

bool Network::markDebug(nvinfer1::ITensor& tensor) noexcept {
  checked(tensor, "markDebug")->debug = true;
  return true;
}

bool Network::unmarkDebug(nvinfer1::ITensor& tensor) noexcept {
  checked(tensor, "unmarkDebug")->debug = false;
  return true;
}

bool Network::isDebugTensor(nvinfer1::ITensor const& tensor) const noexcept {
  return checked(const_cast<nvinfer1::ITensor&>(tensor), "isDebugTensor")->debug;
}

}  // namespace trtstandin
