#include "trt_logger.h"

namespace trtdiff {

void CollectingLogger::log(Severity severity, nvinfer1::AsciiChar const* msg) noexcept {
  if (severity > keep_) return;  // lower enum value = more severe
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back({severity, msg != nullptr ? msg : ""});
  } catch (...) {
    // log() is noexcept: losing a message beats terminating the process on allocation failure.
  }
}

std::string CollectingLogger::takeErrors() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string joined;
  for (const Entry& e : entries_) {
    if (e.severity > Severity::kERROR) continue;
    if (!joined.empty()) joined += "; ";
    joined += e.text;
  }
  entries_.clear();
  return joined;
}

std::vector<std::string> CollectingLogger::takeMessages() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (Entry& e : entries_) out.push_back(std::move(e.text));
  entries_.clear();
  return out;
}

}  // namespace trtdiff
