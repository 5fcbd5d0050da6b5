// An ILogger that keeps TensorRT's own messages, so that failures (a plan built by another TensorRT
// version, an ONNX op the parser rejects) reach the user in TensorRT's words instead of "null engine".
#pragma once

#include <NvInferRuntime.h>

#include <mutex>
#include <string>
#include <vector>

namespace trtdiff {

class CollectingLogger : public nvinfer1::ILogger {
 public:
  // Messages at or above `keep` severity are stored; kVERBOSE/kINFO are dropped unless asked for.
  explicit CollectingLogger(Severity keep = Severity::kWARNING) : keep_(keep) {}

  void log(Severity severity, nvinfer1::AsciiChar const* msg) noexcept override;

  // Errors (kINTERNAL_ERROR, kERROR) logged since the last call, joined by "; ", and cleared.
  std::string takeErrors();
  // Warnings and errors since the last call, cleared.
  std::vector<std::string> takeMessages();

 private:
  struct Entry {
    Severity severity;
    std::string text;
  };
  Severity keep_;
  std::mutex mutex_;  // TensorRT may log from its own threads
  std::vector<Entry> entries_;
};

}  // namespace trtdiff
