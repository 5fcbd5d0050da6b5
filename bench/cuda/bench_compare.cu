// Bandwidth benchmark of the fused comparison kernel. Reports effective GB/s (bytes read: both
// buffers) next to cudaMemcpyDeviceToDevice GB/s (bytes read + written) measured in the same
// process on the same card, which is the practical ceiling for a streaming kernel.
//
// usage: bench_compare [log2 elements, default 28] [iterations, default 20]
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "compare_api.h"
#include "cuda_check.h"

using namespace trtdiff;

namespace {

// Mean milliseconds per call of `body` over `iters` calls, after 3 untimed warm-up calls.
template <class F>
double timeMs(cudaStream_t s, int iters, F body) {
  for (int i = 0; i < 3; ++i) body();
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  CUDA_OK(cudaEventRecord(a, s));
  for (int i = 0; i < iters; ++i) body();
  CUDA_OK(cudaEventRecord(b, s));
  CUDA_OK(cudaEventSynchronize(b));
  float ms = 0;
  CUDA_OK(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / iters;
}

__global__ void fillKernel(float* x, std::uint64_t n, float scale) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::uint64_t(gridDim.x) * blockDim.x)
    x[i] = scale * __sinf(static_cast<float>(i % 100003) * 0.37f);
}

void row(const char* what, double bytes, double ms, double memcpyGbs) {
  const double gbs = bytes / (ms * 1e-3) / 1e9;
  std::printf("| %-34s | %10.1f | %9.3f | %8.1f | %6.1f%% |\n", what, bytes / 1e6, ms, gbs,
              memcpyGbs > 0 ? 100.0 * gbs / memcpyGbs : 100.0);
}

}  // namespace

int main(int argc, char** argv) {
  const int log2n = argc > 1 ? std::atoi(argv[1]) : 28;
  const int iters = argc > 2 ? std::atoi(argv[2]) : 20;
  const std::uint64_t n = std::uint64_t(1) << log2n;

  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  int memClockKhz = 0, busWidth = 0;
  cudaDeviceGetAttribute(&memClockKhz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&busWidth, cudaDevAttrGlobalMemoryBusWidth, 0);
  std::printf("device: %s, %d SMs, %.1f GiB, L2 %d MiB, theoretical DRAM %.0f GB/s\n", prop.name,
              prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0, prop.l2CacheSize >> 20,
              2.0 * memClockKhz * 1e3 * (busWidth / 8) / 1e9);
  std::printf("elements: 2^%d = %llu per buffer, %d timed iterations (mean)\n\n", log2n,
              static_cast<unsigned long long>(n), iters);

  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  float *ref = nullptr, *testF32 = nullptr, *copyDst = nullptr;
  void *testF16 = nullptr, *testI8 = nullptr;
  CUDA_OK(cudaMalloc(&ref, n * 4));
  CUDA_OK(cudaMalloc(&testF32, n * 4));
  CUDA_OK(cudaMalloc(&copyDst, n * 4));
  CUDA_OK(cudaMalloc(&testF16, n * 2));
  CUDA_OK(cudaMalloc(&testI8, n));
  fillKernel<<<1024, 256, 0, s>>>(ref, n, 1.0f);
  fillKernel<<<1024, 256, 0, s>>>(testF32, n, 1.001f);
  CUDA_OK(cudaMemsetAsync(testF16, 0x3c, n * 2, s));
  CUDA_OK(cudaMemsetAsync(testI8, 0x11, n, s));

  CompareScratch scratch;
  CUDA_OK(createCompareScratch(0, &scratch));
  Accumulator* dOut = nullptr;
  CUDA_OK(cudaMalloc(&dOut, sizeof(Accumulator) * 4096));

  const double memcpyMs = timeMs(s, iters, [&] {
    CUDA_OK(cudaMemcpyAsync(copyDst, ref, n * 4, cudaMemcpyDeviceToDevice, s));
  });
  const double memcpyGbs = 2.0 * n * 4 / (memcpyMs * 1e-3) / 1e9;

  std::printf("| %-34s | %10s | %9s | %8s | %7s |\n", "operation", "MB moved", "ms", "GB/s", "of copy");
  std::printf("|%s|%s|%s|%s|%s|\n", "------------------------------------", "------------", "-----------",
              "----------", "---------");
  row("cudaMemcpy D2D (read + write)", 2.0 * n * 4, memcpyMs, memcpyGbs);

  struct Variant { const char* name; TestOperand op; double testBytes; };
  const Variant variants[] = {
      {"compare f32 vs f32 (fused)", {testF32, TestDType::F32, 1, 0}, 4},
      {"compare f32 vs f16 (fused)", {testF16, TestDType::F16, 1, 0}, 2},
      {"compare f32 vs int8 (fused)", {testI8, TestDType::I8, 0.02f, 0}, 1},
  };
  for (const Variant& v : variants) {
    const double ms = timeMs(s, iters, [&] { CUDA_OK(launchCompare(ref, v.op, n, dOut, scratch, s)); });
    row(v.name, n * (4 + v.testBytes), ms, memcpyGbs);
  }

  // Batched: the same bytes cut into 4096 tensors, one launch for all of them.
  const std::uint32_t count = 4096;
  const std::uint64_t per = n / count;
  std::vector<PairDesc> descs(count);
  for (std::uint32_t i = 0; i < count; ++i)
    descs[i] = PairDesc{ref + i * per, TestOperand{testF32 + i * per, TestDType::F32, 1, 0}, per};
  PairDesc* dDescs = nullptr;
  CUDA_OK(cudaMalloc(&dDescs, sizeof(PairDesc) * count));
  CUDA_OK(cudaMemcpyAsync(dDescs, descs.data(), sizeof(PairDesc) * count, cudaMemcpyHostToDevice, s));
  const double batchMs = timeMs(s, iters, [&] { CUDA_OK(launchCompareBatch(dDescs, count, dOut, s)); });
  char label[64];
  std::snprintf(label, sizeof label, "batched f32, %u x %llu elements", count, static_cast<unsigned long long>(per));
  row(label, double(count) * per * 8, batchMs, memcpyGbs);

  Accumulator check;
  CUDA_OK(cudaMemcpyAsync(&check, dOut, sizeof check, cudaMemcpyDeviceToHost, s));
  CUDA_OK(cudaStreamSynchronize(s));
  std::printf("\n(sanity: first batched tensor count=%llu finite=%llu maxAbs=%g)\n",
              static_cast<unsigned long long>(check.count), static_cast<unsigned long long>(check.finite),
              check.maxAbs);
  return 0;
}
