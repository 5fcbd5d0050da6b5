// Reading serialized engines from disk. Besides plain TensorRT plans this accepts Ultralytics'
// .engine export, which prefixes the plan with a 4-byte little-endian length and that many bytes of
// JSON metadata (model name, stride, class names...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trtdiff {

struct EngineFile {
  std::vector<char> bytes;     // the whole file
  std::size_t planOffset = 0;  // where the TensorRT plan starts inside `bytes`
  std::string metadata;        // Ultralytics JSON, or empty for a plain plan
};

// Throws std::runtime_error when the file cannot be read or is empty.
EngineFile readEngineFile(const std::string& path);

// Splits an Ultralytics header off `bytes` when present; returns false for a plain plan.
bool splitUltralyticsHeader(const std::vector<char>& bytes, std::size_t* planOffset, std::string* metadata);

}  // namespace trtdiff
