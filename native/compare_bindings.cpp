// compareF32(ref, test) and compareQ8(ref, q, scale, zeroPoint): the CPU fast paths for host-resident
// tensors.
#include "bindings.h"
#include "cpu_compare.h"

namespace trtdiff {
namespace {

Napi::Value compareF32(const Napi::CallbackInfo& info) {
  const Napi::Float32Array ref = float32Arg(info, 0, "ref");
  const Napi::Float32Array test = float32Arg(info, 1, "test");
  if (ref.ElementLength() != test.ElementLength())
    throw Napi::RangeError::New(info.Env(), "element counts differ: " + std::to_string(ref.ElementLength()) +
                                                " vs " + std::to_string(test.ElementLength()));
  Accumulator acc = emptyAccumulator();
  accumulateF32(acc, ref.Data(), test.Data(), ref.ElementLength());
  return accumulatorToJs(info.Env(), acc);
}

// compareQ8(ref, test, scale, zeroPoint): ref a Float32Array, test an Int8Array or Uint8Array of
// the same length, compared as DequantizeLinear's per-tensor (q - zeroPoint) * scale.
Napi::Value compareQ8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Float32Array ref = float32Arg(info, 0, "ref");
  const auto kind = info.Length() > 1 && info[1].IsTypedArray()
                        ? info[1].As<Napi::TypedArray>().TypedArrayType()
                        : napi_float32_array;
  if (kind != napi_int8_array && kind != napi_uint8_array)
    throw Napi::TypeError::New(env, "test must be an Int8Array or Uint8Array");
  const Napi::TypedArray test = info[1].As<Napi::TypedArray>();
  if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsNumber())
    throw Napi::TypeError::New(env, "scale and zeroPoint must be numbers");
  if (ref.ElementLength() != test.ElementLength())
    throw Napi::RangeError::New(env, "element counts differ: " + std::to_string(ref.ElementLength()) +
                                         " vs " + std::to_string(test.ElementLength()));
  const auto* data = static_cast<const std::uint8_t*>(test.ArrayBuffer().Data()) + test.ByteOffset();
  Accumulator acc = emptyAccumulator();
  accumulateQ8(acc, ref.Data(), data, kind == napi_int8_array, info[2].As<Napi::Number>().FloatValue(),
               info[3].As<Napi::Number>().Int32Value(), ref.ElementLength());
  return accumulatorToJs(env, acc);
}

}  // namespace

void registerCompare(Napi::Env env, Napi::Object exports) {
  exports.Set("compareF32", Napi::Function::New(env, compareF32, "compareF32"));
  exports.Set("compareQ8", Napi::Function::New(env, compareQ8, "compareQ8"));
}

}  // namespace trtdiff
