// CPU reference of the fused comparison: the ground truth for the CUDA kernel tests and the addon's
// fast path for host-resident Float32Arrays.
#pragma once

#include <cstddef>
#include <cstdint>

#include "accumulator.h"

namespace trtdiff {

// Accumulates n element pairs (ref[i], test[i]) into acc, with the semantics of accumulateArrays in
// src/compare/metrics.ts: pairs with a non-finite side only bump the NaN/Inf counters.
void accumulateF32(Accumulator& acc, const float* ref, const float* test, std::size_t n);

// The same with an 8-bit integer test operand (int8 when isSigned, else uint8), each element taken as
// DequantizeLinear's float (q - zeroPoint) * scale: bit for bit the pass over the dequantized copy.
void accumulateQ8(Accumulator& acc, const float* ref, const void* test, bool isSigned, float scale,
                  std::int32_t zeroPoint, std::size_t n);

}  // namespace trtdiff
