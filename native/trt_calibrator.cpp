#include "trt_calibrator.h"

#if TRTDIFF_HAVE_IMPLICIT_INT8
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

// The calibrator interfaces are deprecated in TensorRT 10 (removed in 11); using them is the point.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace trtdiff {
namespace {

// Serves a fixed cache and no batches: with a cache present TensorRT never asks for data, and if it
// did (a cache that misses a tensor), getBatch() returning false ends calibration instead of hanging.
template <class Base>
class CacheCalibrator final : public Base {
 public:
  explicit CacheCalibrator(std::string cache) : cache_(std::move(cache)) {}
  std::int32_t getBatchSize() const noexcept override { return 1; }
  bool getBatch(void* /*bindings*/[], char const* /*names*/[],
                std::int32_t /*nbBindings*/) noexcept override {
    return false;
  }
  void const* readCalibrationCache(std::size_t& length) noexcept override {
    length = cache_.size();
    return cache_.data();
  }
  void writeCalibrationCache(void const* /*ptr*/, std::size_t /*length*/) noexcept override {}

 private:
  std::string cache_;
};

bool isHex8(const std::string& s) {
  if (s.size() != 8) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::unique_ptr<nvinfer1::IInt8Calibrator> makeCacheCalibrator(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open calibration cache");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string cache = ss.str();

  std::istringstream lines(cache);
  std::string header;
  std::getline(lines, header);
  std::string line;
  for (int number = 2; std::getline(lines, line); ++number) {
    if (line.empty()) continue;
    const std::size_t colon = line.rfind(": ");
    if (colon == std::string::npos || colon == 0 || !isHex8(line.substr(colon + 2)))
      throw std::runtime_error(path + ":" + std::to_string(number) +
                               ": expected `tensorName: <8 hex digits>`");
  }
  if (header.rfind("TRT-", 0) != 0)
    throw std::runtime_error(path + ":1: expected a header like TRT-100300-EntropyCalibration2");
  if (header.find("EntropyCalibration2") != std::string::npos)
    return std::make_unique<CacheCalibrator<nvinfer1::IInt8EntropyCalibrator2>>(cache);
  if (header.find("MinMaxCalibration") != std::string::npos)
    return std::make_unique<CacheCalibrator<nvinfer1::IInt8MinMaxCalibrator>>(cache);
  throw std::runtime_error(path + ":1: unsupported calibrator `" + header +
                           "` (EntropyCalibration2 or MinMaxCalibration)");
}

}  // namespace trtdiff
#endif
