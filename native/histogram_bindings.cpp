// histogramUpdate(counts, rangeMax, data): adds a batch to a |x| histogram held by the caller
// (counts: Float64Array of 2048 bins, updated in place) and returns the possibly grown rangeMax.
// calibrationHistogramAdd(counts, invWidth, data): the calibrators' right-closed histogram add
// (calibration_stats.h); counts is updated in place.
// finiteRange(data): [min, max, nonFinite] of a Float32Array's finite elements (calibration_stats.h).
#include <algorithm>

#include "abs_histogram.h"
#include "calibration_stats.h"
#include "bindings.h"

namespace trtdiff {
namespace {

Napi::Value histogramUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() != kHistBins)
    throw Napi::TypeError::New(env,
                               "counts must be a Float64Array of " + std::to_string(kHistBins) + " bins");
  if (!info[1].IsNumber() || !(info[1].As<Napi::Number>().DoubleValue() >= 0))
    throw Napi::TypeError::New(env, "rangeMax must be a number >= 0");
  Napi::Float64Array counts = info[0].As<Napi::Float64Array>();
  const Napi::Float32Array data = float32Arg(info, 2, "data");

  AbsHistogram h;
  h.rangeMax = info[1].As<Napi::Number>().DoubleValue();
  std::transform(counts.Data(), counts.Data() + kHistBins, h.counts.begin(),
                 [](double c) { return static_cast<std::uint64_t>(c); });
  addToHistogram(h, data.Data(), data.ElementLength());
  std::transform(h.counts.begin(), h.counts.end(), counts.Data(),
                 [](std::uint64_t c) { return static_cast<double>(c); });
  return Napi::Number::New(env, h.rangeMax);
}

Napi::Value calibrationHistogramAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < 2)
    throw Napi::TypeError::New(env, "counts must be a Float64Array of at least 2 bins");
  if (!info[1].IsNumber() || !(info[1].As<Napi::Number>().DoubleValue() > 0))
    throw Napi::TypeError::New(env, "invWidth must be a number > 0");
  Napi::Float64Array counts = info[0].As<Napi::Float64Array>();
  const Napi::Float32Array data = float32Arg(info, 2, "data");
  addRightClosed(counts.Data(), static_cast<int>(counts.ElementLength()),
                 info[1].As<Napi::Number>().DoubleValue(), data.Data(), data.ElementLength());
  return env.Undefined();
}

Napi::Value finiteRangeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Float32Array data = float32Arg(info, 0, "data");
  const FiniteRange r = finiteRange(data.Data(), data.ElementLength());
  Napi::Float64Array out = Napi::Float64Array::New(env, 3);
  out[0] = r.min;
  out[1] = r.max;
  out[2] = static_cast<double>(r.nonFinite);
  return out;
}

}  // namespace

void registerHistogram(Napi::Env env, Napi::Object exports) {
  exports.Set("histogramBins", Napi::Number::New(env, kHistBins));
  exports.Set("histogramUpdate", Napi::Function::New(env, histogramUpdate, "histogramUpdate"));
  exports.Set("finiteRange", Napi::Function::New(env, finiteRangeJs, "finiteRange"));
  exports.Set("calibrationHistogramAdd",
              Napi::Function::New(env, calibrationHistogramAdd, "calibrationHistogramAdd"));
}

}  // namespace trtdiff
