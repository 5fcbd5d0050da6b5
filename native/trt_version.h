// Compile-time TensorRT version tests. Features are guarded by version rather than by probing,
// because the headers of different releases declare different enumerators and methods.
#pragma once

#include <NvInferVersion.h>

#if !defined(NV_TENSORRT_MAJOR) || NV_TENSORRT_MAJOR < 10
#error "trt-diff's TensorRT runner needs TensorRT 10.0 or later (named tensors, enqueueV3, IDebugListener); \
the headers found are older. Point TensorRT_ROOT at a TensorRT 10/11 install, or build without TensorRT \
(-DTRTDIFF_WITH_TENSORRT=OFF)."
#endif

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

#include <string>

#include "trt_loader.h"

namespace trtdiff {
// Version of the libnvinfer actually loaded ("10.3.0"), which can differ from the headers'; "" when
// no library could be loaded (trtLibrary().error says why).
inline std::string runtimeTensorRtVersion() { return trtLibrary().runtimeVersion; }
}  // namespace trtdiff
