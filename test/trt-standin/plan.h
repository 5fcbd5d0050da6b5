// The stand-in TensorRT's serialized engine ("plan"): what the stand-in builder decided (I/O
// tensors, engine layers after its Q/DQ fusion, debug tensors) in a small binary format of its own.
// Only the stand-in reads it; a plan written by a stand-in built from other headers is refused with
// TensorRT's version-mismatch wording. Contract harness: names and shapes, never numbers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trtstandin {

struct PlanTensor {
  std::string name;
  std::int32_t type = 0;            // nvinfer1::DataType
  std::vector<std::int64_t> dims;   // -1: dynamic (set by setInputShape)
};

struct PlanLayer {
  std::string name;                 // TensorRT layer name (the ONNX node name of its main layer)
  std::string layerType;            // e.g. "Convolution"
  std::string metadata;             // "[ONNX Layer: a]" entries joined by \x1E (10.x) or \x1F (11.x)
  std::vector<PlanTensor> inputs, outputs;  // engine names: ONNX names, or internal names for debug tensors
};

struct Plan {
  std::int64_t version = 0;         // NV_TENSORRT_VERSION of the stand-in that built it
  bool detailed = false;            // ProfilingVerbosity::kDETAILED
  bool int8 = false;
  std::vector<PlanTensor> inputs, outputs, debug;
  std::map<std::string, std::vector<std::int64_t>> profile;  // dynamic input → the one shape allowed
  std::vector<PlanLayer> layers;
};

std::string serializePlan(const Plan& plan);
// False with `why` for bytes that are not a stand-in plan.
bool deserializePlan(const void* data, std::size_t size, Plan* plan, std::string* why);

}  // namespace trtstandin
