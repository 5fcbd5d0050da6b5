// Building an engine from ONNX with every intermediate tensor observable, for layer-by-layer
// comparison against the FP32 reference run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trtdiff {

// How intermediate tensors are exposed.
enum class Capture {
  kAuto,     // kDebug where TensorRT supports it (10.12+), else kOutputs
  kOutputs,  // mark every eligible layer output as a network output (changes fusion: each marked
             // tensor must be materialised)
  kDebug,    // markUnfusedTensorsAsDebugTensors: read tensors that survive fusion, fusion unchanged
  kNone,     // the model's own outputs only
};

struct BuildOptions {
  std::string onnxPath;
  std::string enginePath;
  bool int8 = false;  // TRT 10: kINT8 (+ calibrator when a cache is given); TRT 11: Q/DQ model required
  std::string calibrationCache;  // TRT 10 implicit INT8 only
  Capture capture = Capture::kAuto;
  std::map<std::string, std::vector<std::int64_t>> inputShapes;  // fixes dynamic input dims
  std::size_t workspaceBytes = 0;                                // 0: TensorRT's default
};

struct BuildReport {
  std::string capture;                // what was used: "outputs", "debug" or "none"
  int markedTensors = 0;              // network outputs added (kOutputs)
  std::vector<std::string> messages;  // TensorRT warnings during the build
};

// Parses, configures and builds; writes the plan to options.enginePath. Throws TrtError with the
// parser's or builder's messages on failure.
BuildReport buildEngineFromOnnx(const BuildOptions& options);

}  // namespace trtdiff
