// Widening of the test-side element types to float, shared by the CPU reference and the CUDA
// kernels so that both see bit-identical test values (the comparison itself then runs in FP64).
#pragma once

#include <cstdint>
#include <cstring>

#include "accumulator.h"  // TRTDIFF_HD

namespace trtdiff {

// Element type of the test operand. The reference is always float32.
enum class TestDType : std::int32_t { F32 = 0, F16 = 1, I8 = 2 };

// Affine INT8 dequantisation as TensorRT/ONNX DequantizeLinear define it: (q - zp) * scale, in float.
TRTDIFF_HD inline float dequantInt8(std::int8_t q, float scale, std::int32_t zeroPoint) {
  return static_cast<float>(static_cast<std::int32_t>(q) - zeroPoint) * scale;
}

// IEEE binary16 → binary32, exact (host side; the kernels use __half2float, which is also exact).
inline float halfBitsToFloat(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // Inf / NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // ±0
  } else {
    // Subnormal half: normalise into a float exponent.
    exp = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace trtdiff
