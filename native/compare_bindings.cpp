// compareF32(ref, test): the CPU fast path for host-resident tensors.
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

}  // namespace

void registerCompare(Napi::Env env, Napi::Object exports) {
  exports.Set("compareF32", Napi::Function::New(env, compareF32, "compareF32"));
}

}  // namespace trtdiff
