#include "trt_builder.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <unordered_set>

#include "trt_calibrator.h"
#include "trt_engine.h"  // TrtError
#include "trt_loader.h"
#include "trt_logger.h"
#include "trt_types.h"
#include "trt_version.h"

namespace trtdiff {
namespace {

using nvinfer1::DataType;
using nvinfer1::ILayer;
using nvinfer1::INetworkDefinition;
using nvinfer1::ITensor;
using nvinfer1::LayerType;

// Layers whose outputs are never worth comparing: weights, shape arithmetic, and the Q/DQ pairs of
// explicit quantisation (marking a DQ output as a network output would break the Q/DQ fusion that
// makes the INT8 engine INT8 in the first place).
bool skippedLayerType(LayerType t) {
  switch (t) {
    case LayerType::kCONSTANT:
    case LayerType::kSHAPE:
    case LayerType::kQUANTIZE:
    case LayerType::kDEQUANTIZE:
    case LayerType::kTRIP_LIMIT:
    case LayerType::kCONDITION:
      return true;
    default:
      return false;
  }
}

// Layers that start a loop or conditional body (their outputs live inside the body).
bool opensBody(LayerType t) {
  return t == LayerType::kRECURRENCE || t == LayerType::kITERATOR || t == LayerType::kCONDITIONAL_INPUT;
}

// Layers whose outputs leave a body.
bool closesBody(LayerType t) {
  return t == LayerType::kLOOP_OUTPUT || t == LayerType::kCONDITIONAL_OUTPUT;
}

bool comparableType(DataType t) {
  return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

// Marks every eligible layer output as a network output. Tensors computed inside loop or
// conditional bodies cannot be network outputs; they are found by propagating forward from the
// body-opening layers (the parser adds layers in topological order) until a body-closing layer.
// Shape tensors and bool/int tensors are skipped: they carry no quantisation error.
int markLayerOutputs(INetworkDefinition& net) {
  std::unordered_set<const ITensor*> inBody;
  int marked = 0;
  for (int i = 0; i < net.getNbLayers(); ++i) {
    ILayer* layer = net.getLayer(i);
    const LayerType type = layer->getType();
    bool inside = opensBody(type);
    for (int k = 0; k < layer->getNbInputs() && !inside; ++k) {
      const ITensor* in = layer->getInput(k);
      inside = in != nullptr && inBody.count(in) != 0;
    }
    if (inside && !closesBody(type)) {
      for (int k = 0; k < layer->getNbOutputs(); ++k) inBody.insert(layer->getOutput(k));
      continue;
    }
    if (skippedLayerType(type)) continue;
    for (int k = 0; k < layer->getNbOutputs(); ++k) {
      ITensor* t = layer->getOutput(k);
      if (t == nullptr || t->isNetworkOutput() || t->isNetworkInput()) continue;
      if (t->isShapeTensor() || !t->isExecutionTensor() || !comparableType(t->getType())) continue;
      net.markOutput(*t);
      ++marked;
    }
  }
  return marked;
}

bool hasQdq(const INetworkDefinition& net) {
  for (int i = 0; i < net.getNbLayers(); ++i) {
    const LayerType t = net.getLayer(i)->getType();
    if (t == LayerType::kQUANTIZE || t == LayerType::kDEQUANTIZE) return true;
  }
  return false;
}

std::string parserErrors(const nvonnxparser::IParser& parser) {
  std::string out;
  for (int i = 0; i < parser.getNbErrors(); ++i) {
    const nvonnxparser::IParserError* e = parser.getError(i);
    if (!out.empty()) out += "; ";
    const char* node = e->nodeName();
    if (node != nullptr && *node != '\0') out += std::string("node ") + node + ": ";
    out += e->desc();
  }
  return out;
}

// One optimisation profile pinning every dynamic input to the shape the user gave.
void addProfileForDynamicInputs(nvinfer1::IBuilder& builder, nvinfer1::IBuilderConfig& config,
                                INetworkDefinition& net, const BuildOptions& options) {
  nvinfer1::IOptimizationProfile* profile = nullptr;
  for (int i = 0; i < net.getNbInputs(); ++i) {
    ITensor* in = net.getInput(i);
    if (volume(dimsToVector(in->getDimensions())) >= 0) continue;
    const auto given = options.inputShapes.find(in->getName());
    if (given == options.inputShapes.end())
      throw TrtError(std::string("input ") + in->getName() + " has dynamic dims; give its shape");
    if (profile == nullptr) profile = builder.createOptimizationProfile();
    if (profile == nullptr) throw TrtError("createOptimizationProfile failed");
    const nvinfer1::Dims d = vectorToDims(given->second);
    for (auto sel : {nvinfer1::OptProfileSelector::kMIN, nvinfer1::OptProfileSelector::kOPT,
                     nvinfer1::OptProfileSelector::kMAX})
      profile->setDimensions(in->getName(), sel, d);
  }
  if (profile != nullptr) config.addOptimizationProfile(profile);
}

// Writes `<path>.tmp-<pid>` and renames it over `path`, so that a reader (or a crash) never sees a
// half-written engine; the temp file is removed on failure.
void writeFileAtomically(const std::string& path, const void* data, std::size_t size) {
  const std::string tmp = path + ".tmp-" + std::to_string(static_cast<long>(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw TrtError(path + ": cannot write engine: " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw TrtError(path + ": cannot write engine: " + why);
  }
}

const char* captureName(Capture c) {
  return c == Capture::kOutputs ? "outputs" : c == Capture::kDebug ? "debug" : "none";
}

}  // namespace

BuildReport buildEngineFromOnnx(const BuildOptions& options) {
  try {
    requireTrtLibrary();
  } catch (const std::exception& e) {
    throw TrtError(e.what());
  }
  CollectingLogger logger;
  std::unique_ptr<nvinfer1::IBuilder> builder(nvinfer1::createInferBuilder(logger));
  if (!builder) throw TrtError("createInferBuilder failed: " + logger.takeErrors());
  // Flags 0: explicit batch is the only mode since TensorRT 10, and TensorRT 11 networks are
  // strongly typed by default (precision comes from the model's Q/DQ nodes).
  std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
  if (!net) throw TrtError("createNetworkV2 failed: " + logger.takeErrors());
  // Declared after `net`, so destroyed before it: TensorRT requires the parser to die first.
  std::unique_ptr<nvonnxparser::IParser> parser(nvonnxparser::createParser(*net, logger));
  if (!parser) throw TrtError("createParser failed: " + logger.takeErrors());
  if (!parser->parseFromFile(options.onnxPath.c_str(), static_cast<int>(nvinfer1::ILogger::Severity::kWARNING)))
    throw TrtError("ONNX parse failed: " + parserErrors(*parser) + " " + logger.takeErrors());

  BuildReport report;
  Capture capture = options.capture;
  if (capture == Capture::kAuto) capture = TRTDIFF_HAVE_UNFUSED_DEBUG_TENSORS ? Capture::kDebug : Capture::kOutputs;
  if (capture == Capture::kOutputs) {
    report.markedTensors = markLayerOutputs(*net);
  } else if (capture == Capture::kDebug) {
#if TRTDIFF_HAVE_UNFUSED_DEBUG_TENSORS
    if (!net->markUnfusedTensorsAsDebugTensors())
      throw TrtError("markUnfusedTensorsAsDebugTensors failed: " + logger.takeErrors());
#else
    throw TrtError(std::string("debug-tensor capture needs TensorRT 10.12 or later; this build uses ") +
                   compiledTensorRtVersion() + " (use output capture)");
#endif
  }
  report.capture = captureName(capture);

  std::unique_ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) throw TrtError("createBuilderConfig failed: " + logger.takeErrors());
  // Layer names and their "[ONNX Layer: ...]" metadata in the inspector JSON need kDETAILED.
  config->setProfilingVerbosity(nvinfer1::ProfilingVerbosity::kDETAILED);
  // The FP32 side of the comparison must be true FP32: TF32 convolutions/GEMMs would add their own
  // error and be blamed on quantisation.
  config->clearFlag(nvinfer1::BuilderFlag::kTF32);
  if (options.workspaceBytes > 0)
    config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, options.workspaceBytes);
  addProfileForDynamicInputs(*builder, *config, *net, options);

#if TRTDIFF_HAVE_IMPLICIT_INT8
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // kINT8 and calibrators: deprecated in 10
  std::unique_ptr<nvinfer1::IInt8Calibrator> calibrator;  // must outlive buildSerializedNetwork
#endif
  if (options.int8) {
#if TRTDIFF_HAVE_IMPLICIT_INT8
    config->setFlag(nvinfer1::BuilderFlag::kINT8);
    if (!options.calibrationCache.empty()) {
      calibrator = makeCacheCalibrator(options.calibrationCache);
      config->setInt8Calibrator(calibrator.get());
    } else if (!hasQdq(*net)) {
      throw TrtError("INT8 build needs a calibration cache or a Q/DQ ONNX model");
    }
#else
    if (!options.calibrationCache.empty())
      throw TrtError(std::string("TensorRT ") + compiledTensorRtVersion() +
                     " has no calibrator-based INT8; quantise the ONNX model with Q/DQ nodes instead");
    if (!hasQdq(*net)) throw TrtError("INT8 on TensorRT 11 needs a Q/DQ ONNX model (the network is strongly typed)");
#endif
  }
#if TRTDIFF_HAVE_IMPLICIT_INT8
#pragma GCC diagnostic pop
#endif

  std::unique_ptr<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
  if (!plan || plan->size() == 0) throw TrtError("engine build failed: " + logger.takeErrors());
  writeFileAtomically(options.enginePath, plan->data(), plan->size());
  report.messages = logger.takeMessages();
  return report;
}

}  // namespace trtdiff
