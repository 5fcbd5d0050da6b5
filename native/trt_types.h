// Conversions between TensorRT's types and trt-diff's (src/tensor/dtype.ts names, int64 shapes).
#pragma once

#include <NvInferRuntime.h>

#include <cstdint>
#include <string>
#include <vector>

namespace trtdiff {

// trt-diff DType name of a TensorRT DataType, or "unknown" (fp8, int4, fp4... have no host type).
const char* dtypeName(nvinfer1::DataType t);
// Bytes per element, or 0 for types trt-diff cannot move (sub-byte and fp8 formats).
std::size_t dtypeBytes(nvinfer1::DataType t);
// Inverse of dtypeName for the types inputs can have; throws std::invalid_argument otherwise.
nvinfer1::DataType dataTypeFromName(const std::string& name);

std::vector<std::int64_t> dimsToVector(const nvinfer1::Dims& d);
nvinfer1::Dims vectorToDims(const std::vector<std::int64_t>& v);  // throws past Dims::MAX_DIMS
std::int64_t volume(const std::vector<std::int64_t>& shape);      // -1 when a dim is unknown

}  // namespace trtdiff
