// A deserialized TensorRT engine with one execution context on its own (non-default) stream.
// Inputs and outputs travel as host byte buffers; device buffers are 256-byte aligned and reused.
#pragma once

#include <NvInferRuntime.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device_buffer.h"
#include "trt_logger.h"

namespace trtdiff {

struct IoTensorInfo {
  std::string name;
  bool isInput = false;
  std::string dtype;                // trt-diff name, "unknown" for fp8/int4...
  std::vector<std::int64_t> shape;  // -1 for dynamic dims
  std::string format;               // TensorRT's description, e.g. "Row major linear FP32 format (kLINEAR)"
};

struct HostTensor {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;
};

// Errors carry TensorRT's logged messages (e.g. the version-mismatch text on deserialization).
class TrtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TrtEngine {
 public:
  // Reads and deserializes `path` (plain plan or Ultralytics .engine). Throws TrtError.
  static std::unique_ptr<TrtEngine> load(const std::string& path);
  ~TrtEngine();
  TrtEngine(const TrtEngine&) = delete;
  TrtEngine& operator=(const TrtEngine&) = delete;

  const std::vector<IoTensorInfo>& io() const { return io_; }
  const std::string& metadata() const { return metadata_; }
  // Names of the debug tensors the engine was built with (markDebug / markUnfusedTensorsAsDebugTensors).
  const std::vector<std::string>& debugTensors() const { return debugTensors_; }
  // Engine inspector JSON; layer names and "[ONNX Layer: ...]" metadata need ProfilingVerbosity::kDETAILED.
  std::string inspect();
  // Runs one inference; returns the engine outputs followed by the debug tensors it produced.
  // Serialised per engine: one context, one set of buffers.
  std::vector<HostTensor> infer(const std::vector<HostTensor>& inputs);

 private:
  class DebugCollector;
  TrtEngine();
  // infer() after validation: copies, enqueue, collection.
  std::vector<HostTensor> run(const std::vector<HostTensor>& inputs);

  CollectingLogger logger_;
  std::unique_ptr<nvinfer1::IRuntime> runtime_;
  std::unique_ptr<nvinfer1::ICudaEngine> engine_;
  std::unique_ptr<nvinfer1::IExecutionContext> context_;
  std::unique_ptr<DebugCollector> debug_;
  cudaStream_t stream_ = nullptr;
  std::vector<IoTensorInfo> io_;
  std::vector<std::string> debugTensors_;
  std::string metadata_;
  std::map<std::string, DeviceBuffer> buffers_;
  std::mutex mutex_;
};

}  // namespace trtdiff
