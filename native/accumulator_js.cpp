#include "bindings.h"

namespace trtdiff {

Napi::Object accumulatorToJs(Napi::Env env, const Accumulator& a) {
  Napi::Object o = Napi::Object::New(env);
  // Counts go through double: exact up to 2^53 elements, which no tensor reaches.
  o.Set("count", static_cast<double>(a.count));
  o.Set("finite", static_cast<double>(a.finite));
  o.Set("sumRef2", a.sumRef2);
  o.Set("sumTest2", a.sumTest2);
  o.Set("sumDot", a.sumDot);
  o.Set("sumErr2", a.sumErr2);
  o.Set("sumAbsErr", a.sumAbsErr);
  o.Set("maxAbs", a.maxAbs);
  o.Set("maxRel", a.maxRel);
  o.Set("refMin", a.refMin);
  o.Set("refMax", a.refMax);
  o.Set("testMin", a.testMin);
  o.Set("testMax", a.testMax);
  o.Set("refNan", static_cast<double>(a.refNan));
  o.Set("refInf", static_cast<double>(a.refInf));
  o.Set("testNan", static_cast<double>(a.testNan));
  o.Set("testInf", static_cast<double>(a.testInf));
  return o;
}

Napi::Float32Array float32Arg(const Napi::CallbackInfo& info, std::size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Float32Array");
  return info[index].As<Napi::Float32Array>();
}

}  // namespace trtdiff
