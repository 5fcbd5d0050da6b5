// INT8 calibration from a cache file written by trt-diff (TensorRT 10 implicit quantisation only).
// The cache format is TensorRT's own: a header line naming the calibrator, e.g.
//   TRT-100300-EntropyCalibration2
// then one `tensorName: <8 hex digits>` line per tensor, the digits being the float32 bits of the
// tensor's scale. TensorRT checks that the header matches the calibrator's algorithm, so the
// calibrator class is chosen from the header.
#pragma once

#include "trt_version.h"

#if TRTDIFF_HAVE_IMPLICIT_INT8
#include <NvInfer.h>

#include <memory>
#include <string>

namespace trtdiff {

// Reads and validates `path`; throws std::runtime_error naming the first malformed line.
// (IInt8Calibrator is deprecated in TensorRT 10 and gone in 11; this is its last supported use.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::unique_ptr<nvinfer1::IInt8Calibrator> makeCacheCalibrator(const std::string& path);
#pragma GCC diagnostic pop

}  // namespace trtdiff
#endif
