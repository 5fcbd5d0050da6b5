// Deterministic test data for the kernel test: plain random values and adversarial mixes
// (NaN, ±Inf, ±0, ±1e30, denormals) for each test dtype.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../../native/dequant.h"

namespace trtdiff::testdata {

// splitmix64: fast, and good enough to scatter values; the test needs reproducibility, not quality.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * 0x1.0p-53; }  // [0, 1)
  float symmetric(float scale) { return static_cast<float>((uniform() * 2 - 1) * scale); }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }

 private:
  std::uint64_t s_;
};

// One adversarial value: mostly the awkward corners of float32, sometimes an ordinary number.
inline float adversarial(Rng& r) {
  const float inf = std::numeric_limits<float>::infinity();
  switch (r.below(12)) {
    case 0:
      return std::numeric_limits<float>::quiet_NaN();
    case 1:
      return inf;
    case 2:
      return -inf;
    case 3:
      return 0.0f;
    case 4:
      return -0.0f;
    case 5:
      return 1e30f;
    case 6:
      return -1e30f;
    case 7:
      return 1e-40f;  // denormal
    case 8:
      return -std::numeric_limits<float>::denorm_min();
    case 9:
      return 1e-7f;  // below REL_EPS
    default:
      return r.symmetric(4.0f);
  }
}

// Overflow: int8 only, a scale so large that (q - zp) * scale is ±Inf for the outer codes (the
// kernels' path for int8 operands that can produce non-finite values).
enum class Kind { Random, Adversarial, Overflow };

struct Case {
  std::vector<float> ref;
  TestDType dtype = TestDType::F32;
  std::vector<unsigned char> testBytes;  // raw test buffer in its dtype
  std::vector<float> testAsFloat;        // the same values widened on the host (CPU reference input)
  float scale = 1.0f;
  std::int32_t zeroPoint = 0;
};

// Builds a case of n pairs; the test side is ref plus quantisation-like error, in the given dtype.
inline Case makeCase(std::size_t n, TestDType dtype, Kind kind, std::uint64_t seed) {
  Rng r(seed);
  Case c;
  c.dtype = dtype;
  c.ref.resize(n);
  c.testAsFloat.resize(n);
  const bool adv = kind == Kind::Adversarial;
  for (std::size_t i = 0; i < n; ++i) c.ref[i] = adv && r.below(3) == 0 ? adversarial(r) : r.symmetric(3.0f);
  switch (dtype) {
    case TestDType::F32: {
      c.testBytes.resize(n * 4);
      for (std::size_t i = 0; i < n; ++i) {
        float t = adv && r.below(3) == 0 ? adversarial(r) : c.ref[i] + r.symmetric(0.01f);
        c.testAsFloat[i] = t;
      }
      std::memcpy(c.testBytes.data(), c.testAsFloat.data(), n * 4);
      break;
    }
    case TestDType::F16: {
      c.testBytes.resize(n * 2);
      for (std::size_t i = 0; i < n; ++i) {
        const float t = adv && r.below(3) == 0 ? adversarial(r) : c.ref[i];
        const __half h = __float2half_rn(t);  // 1e30 → Inf, denormals → 0: more corners for free
        std::uint16_t bits;
        std::memcpy(&bits, &h, 2);
        std::memcpy(&c.testBytes[i * 2], &bits, 2);
        c.testAsFloat[i] = halfBitsToFloat(bits);
      }
      break;
    }
    case TestDType::I8: {
      c.scale = kind == Kind::Overflow ? 3e36f : 3.0f / 127.0f;
      c.zeroPoint = kind == Kind::Overflow ? -5 : adv ? 3 : 0;
      c.testBytes.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::int8_t q = static_cast<std::int8_t>(static_cast<int>(r.below(256)) - 128);
        std::memcpy(&c.testBytes[i], &q, 1);
        c.testAsFloat[i] = dequantInt8(q, c.scale, c.zeroPoint);
      }
      break;
    }
  }
  return c;
}

}  // namespace trtdiff::testdata
