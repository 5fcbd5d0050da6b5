// Compile-time TensorRT version tests. Features are guarded by version rather than by probing,
// because the headers of different releases declare different enumerators and methods.
#pragma once

#include <NvInferVersion.h>

#define TRTDIFF_TRT_AT_LEAST(major, minor) \
  (NV_TENSORRT_MAJOR > (major) || (NV_TENSORRT_MAJOR == (major) && NV_TENSORRT_MINOR >= (minor)))

// INetworkDefinition::markUnfusedTensorsAsDebugTensors / IExecutionContext::setUnfusedTensorsDebugState.
#define TRTDIFF_HAVE_UNFUSED_DEBUG_TENSORS TRTDIFF_TRT_AT_LEAST(10, 12)
// Implicit (calibrator-based) INT8 exists up to TensorRT 10; 11 keeps only explicit Q/DQ quantisation.
#define TRTDIFF_HAVE_IMPLICIT_INT8 (NV_TENSORRT_MAJOR < 11)

namespace trtdiff {
// "10.3.0": the version these sources were compiled against.
inline const char* compiledTensorRtVersion() {
#define TRTDIFF_STR2(x) #x
#define TRTDIFF_STR(x) TRTDIFF_STR2(x)
  return TRTDIFF_STR(NV_TENSORRT_MAJOR) "." TRTDIFF_STR(NV_TENSORRT_MINOR) "." TRTDIFF_STR(NV_TENSORRT_PATCH);
#undef TRTDIFF_STR
#undef TRTDIFF_STR2
}
}  // namespace trtdiff

#include <NvInferRuntime.h>

#include <string>

namespace trtdiff {
// Version of the libnvinfer actually loaded ("10.3.0"), which can differ from the headers'.
inline std::string runtimeTensorRtVersion() {
  const int v = getInferLibVersion();  // major·10000 + minor·100 + patch
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}
}  // namespace trtdiff
