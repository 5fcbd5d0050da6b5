// Bandwidth benchmark of the fused comparison kernel. Reports effective GB/s (bytes read: both
// buffers) next to cudaMemcpyDeviceToDevice GB/s (bytes read + written) measured in the same
// process on the same card, which is the practical ceiling for a streaming kernel. Each row is
// timed call by call with events: best and median of the timed calls; "of copy" divides by the
// copy's best (median by median).
//
// usage: bench_compare [log2 elements, default 28] [iterations, default 30]
#include <cuda_runtime.h>

#include <cuda_fp16.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "compare_api.h"
#include "cuda_check.h"

using namespace trtdiff;

namespace {

double copyBytes = 0;  // bytes of one buffer the D2D copy reads (and writes)

struct Timing {
  double best, median;
};

// Best and median milliseconds of `iters` calls of `body`, each between its own pair of events,
// after 3 untimed warm-up calls.
template <class F>
Timing timeMs(cudaStream_t s, int iters, F body) {
  for (int i = 0; i < 3; ++i) body();
  std::vector<cudaEvent_t> ev(iters + 1);
  for (auto& e : ev) CUDA_OK(cudaEventCreate(&e));
  CUDA_OK(cudaEventRecord(ev[0], s));
  for (int i = 0; i < iters; ++i) {
    body();
    CUDA_OK(cudaEventRecord(ev[i + 1], s));
  }
  CUDA_OK(cudaEventSynchronize(ev[iters]));
  std::vector<double> ms(iters);
  for (int i = 0; i < iters; ++i) {
    float m = 0;
    CUDA_OK(cudaEventElapsedTime(&m, ev[i], ev[i + 1]));
    ms[i] = m;
  }
  for (auto& e : ev) cudaEventDestroy(e);
  std::sort(ms.begin(), ms.end());
  return Timing{ms[0], ms[iters / 2]};
}

__global__ void fillKernel(float* x, std::uint64_t n, float scale) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::uint64_t(gridDim.x) * blockDim.x)
    x[i] = scale * __sinf(static_cast<float>(i % 100003) * 0.37f);
}

// Test sides derived from the reference, as a quantized model's would be: f16 of ref * 1.001,
// int8 of ref / 0.02 rounded and clamped (so the int8 row sees real quantization error).
__global__ void deriveKernel(const float* ref, __half* h, signed char* q, std::uint64_t n) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::uint64_t(gridDim.x) * blockDim.x) {
    h[i] = __float2half_rn(ref[i] * 1.001f);
    q[i] = static_cast<signed char>(fminf(127.0f, fmaxf(-128.0f, rintf(ref[i] / 0.02f))));
  }
}

void row(const char* what, double bytes, Timing t, Timing copy) {
  const double best = bytes / (t.best * 1e-3) / 1e9, median = bytes / (t.median * 1e-3) / 1e9;
  const double copyBest = 2.0 * copyBytes / (copy.best * 1e-3) / 1e9;
  const double copyMedian = 2.0 * copyBytes / (copy.median * 1e-3) / 1e9;
  std::printf("| %-36s | %9.1f | %8.3f | %8.3f | %8.1f | %6.1f%% | %6.1f%% |\n", what, bytes / 1e6, t.best,
              t.median, best, 100.0 * best / copyBest, 100.0 * median / copyMedian);
}

}  // namespace

int main(int argc, char** argv) {
  const int log2n = argc > 1 ? std::atoi(argv[1]) : 28;
  const int iters = argc > 2 ? std::atoi(argv[2]) : 30;
  const std::uint64_t n = std::uint64_t(1) << log2n;

  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  int memClockKhz = 0, busWidth = 0;
  cudaDeviceGetAttribute(&memClockKhz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&busWidth, cudaDevAttrGlobalMemoryBusWidth, 0);
  std::printf("device: %s, %d SMs, %.1f GiB, L2 %d MiB, theoretical DRAM %.0f GB/s\n", prop.name,
              prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0, prop.l2CacheSize >> 20,
              2.0 * memClockKhz * 1e3 * (busWidth / 8) / 1e9);
  std::printf("elements: 2^%d = %llu per buffer, %d timed calls per row (best / median)\n\n", log2n,
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
  deriveKernel<<<1024, 256, 0, s>>>(ref, static_cast<__half*>(testF16), static_cast<signed char*>(testI8), n);
  CUDA_OK(cudaGetLastError());

  CompareScratch scratch;
  CUDA_OK(createCompareScratch(0, &scratch));
  Accumulator* dOut = nullptr;
  CUDA_OK(cudaMalloc(&dOut, sizeof(Accumulator) * 4096));

  copyBytes = double(n) * 4;
  auto copy = [&] { CUDA_OK(cudaMemcpyAsync(copyDst, ref, n * 4, cudaMemcpyDeviceToDevice, s)); };
  const Timing memcpyT = timeMs(s, iters, copy);

  std::printf("staged grid (blocks): f32 %d, f16 %d, int8 %d; direct grid %d\n\n", scratch.stagedBlocks[0],
              scratch.stagedBlocks[1], scratch.stagedBlocks[2], scratch.maxBlocks);
  std::printf("| %-36s | %9s | %8s | %8s | %8s | %7s | %7s |\n", "operation", "MB moved", "best ms", "med ms",
              "GB/s", "of copy", "median");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------------------", "-----------", "----------",
              "----------", "----------", "---------", "---------");
  row("cudaMemcpy D2D (read + write)", 2.0 * n * 4, memcpyT, memcpyT);

  struct Variant { const char* name; TestOperand op; double testBytes; bool staged; };
  const Variant variants[] = {
      {"compare f32 vs f32 (staged)", {testF32, TestDType::F32, 1, 0}, 4, true},
      {"compare f32 vs f16 (staged)", {testF16, TestDType::F16, 1, 0}, 2, true},
      {"compare f32 vs int8 (staged)", {testI8, TestDType::I8, 0.02f, 0}, 1, true},
      {"compare f32 vs f32 (direct)", {testF32, TestDType::F32, 1, 0}, 4, false},
      {"compare f32 vs f16 (direct)", {testF16, TestDType::F16, 1, 0}, 2, false},
      {"compare f32 vs int8 (direct)", {testI8, TestDType::I8, 0.02f, 0}, 1, false},
  };
  const int stagingDefault = compareStaging();
  for (const Variant& v : variants) {
    setCompareStaging(v.staged ? 7 : 0);
    const Timing t = timeMs(s, iters, [&] { CUDA_OK(launchCompare(ref, v.op, n, dOut, scratch, s)); });
    row(v.name, n * (4 + v.testBytes), t, memcpyT);
  }
  setCompareStaging(stagingDefault);

  // Batched: the same bytes cut into 4096 tensors, one launch for all of them.
  const std::uint32_t count = 4096;
  const std::uint64_t per = n / count;
  std::vector<PairDesc> descs(count);
  for (std::uint32_t i = 0; i < count; ++i)
    descs[i] = PairDesc{ref + i * per, TestOperand{testF32 + i * per, TestDType::F32, 1, 0}, per};
  PairDesc* dDescs = nullptr;
  CUDA_OK(cudaMalloc(&dDescs, sizeof(PairDesc) * count));
  CUDA_OK(cudaMemcpyAsync(dDescs, descs.data(), sizeof(PairDesc) * count, cudaMemcpyHostToDevice, s));
  const Timing batchT = timeMs(s, iters, [&] { CUDA_OK(launchCompareBatch(dDescs, count, dOut, s)); });
  char label[64];
  std::snprintf(label, sizeof label, "batched f32, %u x %llu elements", count, static_cast<unsigned long long>(per));
  row(label, double(count) * per * 8, batchT, memcpyT);
  row("cudaMemcpy D2D again (stability)", 2.0 * n * 4, timeMs(s, iters, copy), memcpyT);

  Accumulator check;
  CUDA_OK(cudaMemcpyAsync(&check, dOut, sizeof check, cudaMemcpyDeviceToHost, s));
  CUDA_OK(cudaStreamSynchronize(s));
  std::printf("\n(sanity: first batched tensor count=%llu finite=%llu maxAbs=%g)\n",
              static_cast<unsigned long long>(check.count), static_cast<unsigned long long>(check.finite),
              check.maxAbs);
  return 0;
}
