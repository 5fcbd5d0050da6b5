// Host API of the fused comparison kernels (compare_kernels.cu). Plain C++ so that the addon and the
// tests can include it with g++; all pointers named d* are device pointers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "../native/accumulator.h"
#include "../native/dequant.h"

namespace trtdiff {

// The test side of a comparison: float32, float16, or int8 with its dequantisation parameters.
struct TestOperand {
  const void* data = nullptr;
  TestDType dtype = TestDType::F32;
  float scale = 1.0f;          // int8 only
  std::int32_t zeroPoint = 0;  // int8 only
};

// One tensor pair of a batched launch.
struct PairDesc {
  const float* ref;
  TestOperand test;
  std::uint64_t n;
};

// Per-stream scratch of the single-pair launch: one partial accumulator per block and the ticket
// counter that elects the last block to finish the reduction. Launches sharing a scratch must be
// ordered (same stream).
struct CompareScratch {
  Accumulator* dPartials = nullptr;
  unsigned int* dTicket = nullptr;
  int maxBlocks = 0;
  int threads = 0;
  // Blocks of the staged (shared-memory pipelined) kernel that fill the device, per TestDType;
  // 0 where that kernel is not used.
  int stagedBlocks[3] = {0, 0, 0};
};

cudaError_t createCompareScratch(int device, CompareScratch* scratch);
void destroyCompareScratch(CompareScratch* scratch);

// Compares n pairs in one kernel launch and writes the finished accumulator (count = n) to dOut.
cudaError_t launchCompare(const float* dRef, const TestOperand& test, std::uint64_t n, Accumulator* dOut,
                          const CompareScratch& scratch, cudaStream_t stream);

// Benchmark/test switch: bit (1 << TestDType) lets launchCompare use the staged (shared-memory
// pipelined) loop for large aligned pairs of that test dtype; 0 keeps every launch on the direct loop.
// bench/cuda/bench_compare and the kernel test time and check both loops in one process with it.
// Default: TRTDIFF_COMPARE_STAGED, int8 only (1 << 2).
void setCompareStaging(int dtypeMask);
int compareStaging();

// Compares `count` tensor pairs described by dDescs (device array) in one launch, one block per pair
// at a time; dOut[i] receives pair i. Meant for many small tensors; large ones go to launchCompare.
cudaError_t launchCompareBatch(const PairDesc* dDescs, std::uint32_t count, Accumulator* dOut,
                               cudaStream_t stream);

}  // namespace trtdiff
