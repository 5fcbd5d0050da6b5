#include "trt_types.h"

#include <stdexcept>

namespace trtdiff {

using nvinfer1::DataType;

const char* dtypeName(DataType t) {
  switch (t) {
    case DataType::kFLOAT:
      return "float32";
    case DataType::kHALF:
      return "float16";
    case DataType::kBF16:
      return "bfloat16";
    case DataType::kINT8:
      return "int8";
    case DataType::kUINT8:
      return "uint8";
    case DataType::kINT32:
      return "int32";
    case DataType::kINT64:
      return "int64";
    case DataType::kBOOL:
      return "bool";
    default:
      return "unknown";  // kFP8, kINT4, and whatever later versions add
  }
}

std::size_t dtypeBytes(DataType t) {
  switch (t) {
    case DataType::kFLOAT:
    case DataType::kINT32:
      return 4;
    case DataType::kHALF:
    case DataType::kBF16:
      return 2;
    case DataType::kINT8:
    case DataType::kUINT8:
    case DataType::kBOOL:
      return 1;
    case DataType::kINT64:
      return 8;
    default:
      return 0;
  }
}

DataType dataTypeFromName(const std::string& name) {
  static const DataType all[] = {DataType::kFLOAT, DataType::kHALF,  DataType::kBF16,  DataType::kINT8,
                                 DataType::kUINT8, DataType::kINT32, DataType::kINT64, DataType::kBOOL};
  for (DataType t : all)
    if (name == dtypeName(t)) return t;
  throw std::invalid_argument("dtype " + name + " has no TensorRT equivalent");
}

std::vector<std::int64_t> dimsToVector(const nvinfer1::Dims& d) {
  std::vector<std::int64_t> v;
  for (int i = 0; i < d.nbDims; ++i) v.push_back(d.d[i]);
  return v;
}

nvinfer1::Dims vectorToDims(const std::vector<std::int64_t>& v) {
  nvinfer1::Dims d{};
  if (v.size() > static_cast<std::size_t>(nvinfer1::Dims::MAX_DIMS))
    throw std::invalid_argument("rank " + std::to_string(v.size()) + " exceeds TensorRT's maximum");
  d.nbDims = static_cast<int>(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) d.d[i] = v[i];
  return d;
}

std::int64_t volume(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape) {
    if (s < 0) return -1;
    n *= s;
  }
  return n;
}

}  // namespace trtdiff
