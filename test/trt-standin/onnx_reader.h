// A small ONNX (protobuf wire format) reader for the stand-in ONNX parser (test/trt-standin, a
// contract harness that checks control flow, names and shapes, never numbers). It reads what a
// network definition needs: nodes (name, op type, inputs, outputs, integer attributes), graph
// inputs/outputs, value_info shapes and initializer/Constant shapes. Weights are not read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trtstandin {

struct OnnxValue {
  std::string name;
  int elemType = 0;                 // TensorProto.DataType; 0 when unknown
  bool hasShape = false;
  std::vector<std::int64_t> dims;   // -1 for a symbolic or missing dim
};

struct OnnxNode {
  std::string name, opType, domain;
  std::vector<std::string> inputs, outputs;
  std::map<std::string, std::int64_t> ints;  // integer attributes (e.g. Cast's `to`)
  OnnxValue constant;                        // Constant's `value` tensor (type and dims)
};

struct OnnxGraph {
  std::vector<OnnxNode> nodes;
  std::vector<OnnxValue> inputs, outputs, valueInfo, initializers;
};

// Throws std::runtime_error("...") on malformed protobuf.
OnnxGraph readOnnx(const std::string& bytes);

}  // namespace trtstandin
