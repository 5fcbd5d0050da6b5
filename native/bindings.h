// Registration of each group of addon exports (one source file per group) and the JS conversion
// helpers they share.
#pragma once

#include <napi.h>

#include "accumulator.h"

namespace trtdiff {

void registerCapabilities(Napi::Env env, Napi::Object exports);
void registerCompare(Napi::Env env, Napi::Object exports);
void registerHistogram(Napi::Env env, Napi::Object exports);
void registerMemoryPolicy(Napi::Env env, Napi::Object exports);
#ifdef TRTDIFF_WITH_CUDA
void registerCudaCompare(Napi::Env env, Napi::Object exports);
#endif
#ifdef TRTDIFF_WITH_TENSORRT
void registerTensorRt(Napi::Env env, Napi::Object exports);
#endif

// The MetricAccumulator object of src/compare/metrics.ts.
Napi::Object accumulatorToJs(Napi::Env env, const Accumulator& a);

// The argument at `index` as a Float32Array, or a thrown TypeError naming `what`.
Napi::Float32Array float32Arg(const Napi::CallbackInfo& info, std::size_t index, const char* what);

}  // namespace trtdiff
