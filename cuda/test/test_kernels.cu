// Kernel test: the CUDA comparison and histogram kernels against the CPU reference (native/), on
// random and adversarial data, every test dtype, sizes 1..2^26, misaligned views, batched launches,
// and the histogram range-growth rule. Exit status 0 only when every check passes.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../../native/abs_histogram.h"
#include "../../native/cpu_compare.h"
#include "compare_api.h"
#include "cuda_check.h"
#include "histogram_api.h"
#include "test_data.h"

using namespace trtdiff;
using testdata::Case;
using testdata::Kind;

namespace {

int failures = 0;
int checks = 0;

// Host → device on `stream`. Uploads must be ordered with the kernels on that (non-blocking) stream:
// a plain cudaMemcpy from pageable memory can return before its DMA lands, and the legacy default
// stream does not order against non-blocking streams.
void upload(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  CUDA_OK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}

void fail(const std::string& what) {
  ++failures;
  if (failures <= 40) std::printf("  FAIL %s\n", what.c_str());
}

// Same value, with +0 == -0 (pairs of zeros make the sign of an extremum order-dependent).
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Sums are reduced in a different order on the GPU: allow FP64 reordering error relative to the
// magnitude of the summed terms (Σ|a·b| ≤ sqrt(Σa²·Σb²) bounds the dot product's terms).
bool closeSum(double gpu, double cpu, double magnitude) {
  return std::fabs(gpu - cpu) <= 1e-11 * magnitude + 1e-300;
}

void expectEqual(const std::string& label, const Accumulator& g, const Accumulator& c) {
  ++checks;
  std::string bad;
  auto exact = [&](const char* f, double a, double b) {
    if (!same(a, b)) bad += std::string(" ") + f + " gpu=" + std::to_string(a) + " cpu=" + std::to_string(b);
  };
  auto sum = [&](const char* f, double a, double b, double mag) {
    if (!closeSum(a, b, mag)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, " %s gpu=%.17g cpu=%.17g", f, a, b);
      bad += buf;
    }
  };
  exact("count", double(g.count), double(c.count));
  exact("finite", double(g.finite), double(c.finite));
  exact("refNan", double(g.refNan), double(c.refNan));
  exact("refInf", double(g.refInf), double(c.refInf));
  exact("testNan", double(g.testNan), double(c.testNan));
  exact("testInf", double(g.testInf), double(c.testInf));
  exact("maxAbs", g.maxAbs, c.maxAbs);
  exact("maxRel", g.maxRel, c.maxRel);
  exact("refMin", g.refMin, c.refMin);
  exact("refMax", g.refMax, c.refMax);
  exact("testMin", g.testMin, c.testMin);
  exact("testMax", g.testMax, c.testMax);
  sum("sumRef2", g.sumRef2, c.sumRef2, c.sumRef2);
  sum("sumTest2", g.sumTest2, c.sumTest2, c.sumTest2);
  sum("sumErr2", g.sumErr2, c.sumErr2, c.sumErr2);
  sum("sumAbsErr", g.sumAbsErr, c.sumAbsErr, c.sumAbsErr);
  sum("sumDot", g.sumDot, c.sumDot, std::sqrt(c.sumRef2 * c.sumTest2));
  if (!bad.empty()) fail(label + ":" + bad);
}

Accumulator cpuReference(const Case& c, std::size_t offset) {
  Accumulator a = emptyAccumulator();
  accumulateF32(a, c.ref.data() + offset, c.testAsFloat.data() + offset, c.ref.size() - offset);
  return a;
}

const char* dtypeName(TestDType d) {
  return d == TestDType::F32 ? "f32" : d == TestDType::F16 ? "f16" : "i8";
}

std::size_t elemBytes(TestDType d) { return d == TestDType::F32 ? 4 : d == TestDType::F16 ? 2 : 1; }

// One launchCompare per case; `offset` elements skipped on both sides to exercise misaligned views:
// +1 (nothing vector-aligned: scalar loop), +4 (vector-aligned but not 16-byte-aligned on the test
// side for f16/int8: direct loop), +16 (16-byte-aligned again: staged loop on a shifted base). The
// sizes put the staged loop's last tile and remainder at many positions (tiles are 2048 elements
// for f32, 4096 for f16/int8; one round of the grid is a few hundred tiles).
void testSinglePair(const CompareScratch& scratch, cudaStream_t stream) {
  std::vector<std::size_t> sizes = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 255, 256, 257,
                                    1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 3 * 4096 + 1,
                                    65535, 65537, 271 * 4096 + 3, 529 * 4096 + 4093, (1u << 20) + 3,
                                    (1u << 22) + 4095, (1u << 24) + 1, 1u << 26};
  float* dRef = nullptr;
  void* dTest = nullptr;
  Accumulator* dOut = nullptr;
  const std::size_t maxN = 1u << 26;
  CUDA_OK(cudaMalloc(&dRef, maxN * 4));
  CUDA_OK(cudaMalloc(&dTest, maxN * 4));
  CUDA_OK(cudaMalloc(&dOut, sizeof(Accumulator)));
  int cases = 0;
  const int before = failures;
  const int stagingDefault = compareStaging();
  std::uint64_t seed = 1;
  for (std::size_t n : sizes) {
    for (TestDType dt : {TestDType::F32, TestDType::F16, TestDType::I8}) {
      for (Kind kind : {Kind::Random, Kind::Adversarial, Kind::Overflow}) {
        if (kind == Kind::Overflow && dt != TestDType::I8) continue;
        const Case c = testdata::makeCase(n, dt, kind, seed++);
        upload(dRef, c.ref.data(), n * 4, stream);
        upload(dTest, c.testBytes.data(), c.testBytes.size(), stream);
        for (std::size_t offset : {std::size_t(0), std::size_t(1), std::size_t(4), std::size_t(16)}) {
          if (offset >= n) continue;
          TestOperand op{static_cast<const char*>(dTest) + offset * elemBytes(dt), dt, c.scale, c.zeroPoint};
          const Accumulator cpu = cpuReference(c, offset);
          for (bool staged : {true, false}) {  // staged loop where it applies, then the direct loop only
            setCompareStaging(staged ? 7 : 0);
            CUDA_OK(launchCompare(dRef + offset, op, n - offset, dOut, scratch, stream));
            Accumulator g;
            CUDA_OK(cudaMemcpyAsync(&g, dOut, sizeof g, cudaMemcpyDeviceToHost, stream));
            CUDA_OK(cudaStreamSynchronize(stream));
            char label[112];
            std::snprintf(label, sizeof label, "pair n=%zu %s %s offset=%zu %s", n - offset, dtypeName(dt),
                          kind == Kind::Random ? "random" : kind == Kind::Adversarial ? "adversarial" : "overflow",
                          offset, staged ? "staged" : "direct");
            expectEqual(label, g, cpu);
            ++cases;
          }
          setCompareStaging(stagingDefault);
        }
      }
    }
  }
  std::printf("single-pair launches: %d cases, %s\n", cases, failures == before ? "PASS" : "FAIL");
  cudaFree(dRef);
  cudaFree(dTest);
  cudaFree(dOut);
}

// Many small tensors packed into one allocation (odd offsets included) in one batched launch.
void testBatch(cudaStream_t stream) {
  testdata::Rng r(77);
  const std::uint32_t count = 3000;
  std::vector<Case> cases;
  std::vector<std::size_t> refOffset, testOffset;
  std::size_t refTotal = 0, testTotal = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t n = i % 10 == 0 ? r.below(8) : r.below(9000);  // 0-element tensors too
    const TestDType dt = static_cast<TestDType>(r.below(3));
    cases.push_back(testdata::makeCase(n, dt, r.below(2) ? Kind::Random : Kind::Adversarial, 1000 + i));
    // Element-aligned like any real tensor, but an odd gap of 0..3 elements breaks the 16-byte
    // alignment of the next one, which must then take the scalar path.
    refOffset.push_back(refTotal + r.below(4));
    refTotal = refOffset.back() + n;
    const std::size_t width = elemBytes(dt);
    testOffset.push_back((testTotal + 3) / 4 * 4 + width * r.below(4));
    testTotal = testOffset.back() + cases.back().testBytes.size();
  }
  std::vector<float> hostRef(refTotal);
  std::vector<unsigned char> hostTest(testTotal);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::copy(cases[i].ref.begin(), cases[i].ref.end(), hostRef.begin() + refOffset[i]);
    std::copy(cases[i].testBytes.begin(), cases[i].testBytes.end(), hostTest.begin() + testOffset[i]);
  }
  float* dRef = nullptr;
  unsigned char* dTest = nullptr;
  PairDesc* dDescs = nullptr;
  Accumulator* dOut = nullptr;
  CUDA_OK(cudaMalloc(&dRef, refTotal * 4 + 4));
  CUDA_OK(cudaMalloc(&dTest, testTotal + 4));
  CUDA_OK(cudaMalloc(&dDescs, count * sizeof(PairDesc)));
  CUDA_OK(cudaMalloc(&dOut, count * sizeof(Accumulator)));
  upload(dRef, hostRef.data(), refTotal * 4, stream);
  upload(dTest, hostTest.data(), testTotal, stream);
  std::vector<PairDesc> descs(count);
  for (std::uint32_t i = 0; i < count; ++i)
    descs[i] = PairDesc{dRef + refOffset[i],
                        TestOperand{dTest + testOffset[i], cases[i].dtype, cases[i].scale, cases[i].zeroPoint},
                        cases[i].ref.size()};
  upload(dDescs, descs.data(), count * sizeof(PairDesc), stream);
  CUDA_OK(launchCompareBatch(dDescs, count, dOut, stream));
  std::vector<Accumulator> got(count);
  CUDA_OK(cudaMemcpyAsync(got.data(), dOut, count * sizeof(Accumulator), cudaMemcpyDeviceToHost, stream));
  CUDA_OK(cudaStreamSynchronize(stream));
  const int before = failures;
  for (std::uint32_t i = 0; i < count; ++i)
    expectEqual("batch tensor " + std::to_string(i) + " n=" + std::to_string(cases[i].ref.size()), got[i],
                cpuReference(cases[i], 0));
  std::printf("batched launch: %u tensors, %s\n", count, failures == before ? "PASS" : "FAIL");
  cudaFree(dRef);
  cudaFree(dTest);
  cudaFree(dDescs);
  cudaFree(dOut);
}

void expectTrue(bool ok, const std::string& what) {
  ++checks;
  if (!ok) fail(what);
}

// The growth rule on its own, on the host.
void testHistogramRule() {
  const int before = failures;
  expectTrue(doublingsToCover(1.0, 0.5) == 0, "no growth when covered");
  expectTrue(doublingsToCover(1.0, 1.0) == 0, "no growth at the edge");
  expectTrue(doublingsToCover(1.0, 3.0) == 2, "1 → 4 covers 3");
  expectTrue(doublingsToCover(0.0, 5.0) == -1, "first non-zero batch adopts its max");
  std::vector<std::uint64_t> counts(kHistBins);
  for (int i = 0; i < kHistBins; ++i) counts[i] = i;
  mergeBins(counts.data(), 1);
  bool pairs = true;
  for (int i = 0; i < kHistBins; ++i) pairs &= counts[i] == (i < kHistBins / 2 ? std::uint64_t(4 * i + 1) : 0u);
  expectTrue(pairs, "one doubling merges bin pairs (2i, 2i+1) into bin i");
  for (int i = 0; i < kHistBins; ++i) counts[i] = 1;
  mergeBins(counts.data(), 20);
  expectTrue(counts[0] == kHistBins && counts[1] == 0, "more than 11 doublings collapse into bin 0");
  AbsHistogram h;
  const float first[] = {0.5f, -1.0f};
  addToHistogram(h, first, 2);
  expectTrue(h.rangeMax == 1.0 && h.counts[1024] == 1 && h.counts[2047] == 1, "first batch sets the range");
  const float second[] = {3.0f};
  addToHistogram(h, second, 1);
  expectTrue(h.rangeMax == 4.0 && h.counts[256] == 1 && h.counts[511] == 1 && h.counts[1536] == 1,
             "growth to 4 re-bins 0.5→256, 1→511 and bins 3→1536");
  std::printf("histogram growth rule: %s\n", failures == before ? "PASS" : "FAIL");
}

// Device histogram against the CPU one over a batch sequence that grows the range several times.
void testHistogramDevice(cudaStream_t stream) {
  const int before = failures;
  AbsHistogram cpu;
  DeviceAbsHistogram gpu;
  CUDA_OK(gpu.init(stream));
  testdata::Rng r(5);
  struct Batch { std::size_t n; float scale; bool adversarial; };
  const Batch batches[] = {{1000, 0.0f, false},  // all zeros: range stays 0
                           {1 << 20, 1.0f, false}, {(1 << 20) + 7, 3.0f, false}, {4099, 0.5f, false},
                           {1 << 22, 1000.0f, false}, {100003, 1.0f, true}, {1 << 20, 2e6f, false}};
  float* dData = nullptr;
  CUDA_OK(cudaMalloc(&dData, (1u << 22) * 4));
  for (const Batch& b : batches) {
    std::vector<float> v(b.n);
    for (float& x : v) x = b.adversarial && r.below(4) == 0 ? testdata::adversarial(r) : r.symmetric(b.scale);
    upload(dData, v.data(), b.n * 4, stream);
    addToHistogram(cpu, v.data(), v.size());
    CUDA_OK(gpu.add(dData, b.n, stream));
    std::vector<std::uint64_t> got(kHistBins);
    CUDA_OK(gpu.readCounts(got.data(), stream));
    expectTrue(gpu.rangeMax() == cpu.rangeMax,
               "rangeMax gpu=" + std::to_string(gpu.rangeMax()) + " cpu=" + std::to_string(cpu.rangeMax));
    int diff = 0;
    for (int i = 0; i < kHistBins; ++i) diff += got[i] != cpu.counts[i];
    expectTrue(diff == 0, "histogram counts differ in " + std::to_string(diff) + " bins after batch n=" +
                              std::to_string(b.n));
  }
  cudaFree(dData);
  std::printf("device histogram vs CPU (%zu batches, final range %g): %s\n", sizeof batches / sizeof batches[0],
              cpu.rangeMax, failures == before ? "PASS" : "FAIL");
}

}  // namespace

int main() {
  int devices = 0;
  CUDA_OK(cudaGetDeviceCount(&devices));
  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  CompareScratch scratch;
  CUDA_OK(createCompareScratch(0, &scratch));
  std::printf("compare grid: up to %d blocks x %d threads (direct); staged f32/f16/int8: %d/%d/%d blocks\n",
              scratch.maxBlocks, scratch.threads, scratch.stagedBlocks[0], scratch.stagedBlocks[1],
              scratch.stagedBlocks[2]);

  testHistogramRule();
  testSinglePair(scratch, stream);
  testBatch(stream);
  testHistogramDevice(stream);

  destroyCompareScratch(&scratch);
  cudaStreamDestroy(stream);
  std::printf("%d checks, %d failures: %s\n", checks, failures, failures == 0 ? "ALL PASS" : "FAILED");
  return failures == 0 ? 0 : 1;
}
