// CPU reference of the fused comparison: the ground truth for the CUDA kernel tests and the addon's
// fast path for host-resident Float32Arrays.
#pragma once

#include <cstddef>

#include "accumulator.h"

namespace trtdiff {

// Accumulates n element pairs (ref[i], test[i]) into acc, with the semantics of accumulateArrays in
// src/compare/metrics.ts: pairs with a non-finite side only bump the NaN/Inf counters.
void accumulateF32(Accumulator& acc, const float* ref, const float* test, std::size_t n);

}  // namespace trtdiff
