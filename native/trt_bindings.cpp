// JS face of the TensorRT runner: TrtEngine.load(path) → Promise<TrtEngine>, engine.describe(),
// engine.infer(feeds) → Promise<outputs>, engine.inspect(), engine.close(), and
// buildEngine(options) → Promise<report>. Deserialisation, inference and builds run in
// Napi::AsyncWorker threads so the event loop never waits on the GPU or the builder.
#include <cstring>
#include <memory>

#include "bindings.h"
#include "promise_worker.h"
#include "trt_builder.h"
#include "trt_engine.h"
#include "trt_version.h"

namespace trtdiff {
namespace {

using EnginePtr = std::shared_ptr<TrtEngine>;

Napi::Array shapeToJs(Napi::Env env, const std::vector<std::int64_t>& shape) {
  Napi::Array a = Napi::Array::New(env, shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) a.Set(i, static_cast<double>(shape[i]));
  return a;
}

std::vector<std::int64_t> shapeFromJs(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, what + ": shape must be an array of numbers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::int64_t> shape;
  for (std::uint32_t i = 0; i < a.Length(); ++i) shape.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  return shape;
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "TrtEngine",
        {StaticMethod<&EngineWrap::Load>("load"), InstanceMethod<&EngineWrap::Describe>("describe"),
         InstanceMethod<&EngineWrap::Infer>("infer"), InstanceMethod<&EngineWrap::Inspect>("inspect"),
         InstanceMethod<&EngineWrap::Close>("close")});
  }

  // Constructed only by Load(), which passes the engine as an External.
  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throw Napi::TypeError::New(info.Env(), "use TrtEngine.load(path)");
    engine_ = *info[0].As<Napi::External<EnginePtr>>().Data();
  }

 private:
  static Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Infer(const Napi::CallbackInfo& info);
  Napi::Value Inspect(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info) {
    engine_.reset();  // running workers hold their own reference; the engine dies after the last
    return info.Env().Undefined();
  }
  const EnginePtr& engine(Napi::Env env) const {
    if (!engine_) throw Napi::Error::New(env, "TrtEngine is closed");
    return engine_;
  }

  EnginePtr engine_;
};

Napi::FunctionReference& engineConstructor(Napi::Env env) {
  return *env.GetInstanceData<Napi::FunctionReference>();
}

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string path) : PromiseWorker(env, "trtdiff.load"), path_(std::move(path)) {}

 protected:
  void Run() override { engine_ = EnginePtr(TrtEngine::load(path_)); }
  Napi::Value Result(Napi::Env env) override {
    EnginePtr keep = engine_;
    // The External lives only for the constructor call, which copies the shared_ptr.
    return engineConstructor(env).New({Napi::External<EnginePtr>::New(env, &keep)});
  }

 private:
  std::string path_;
  EnginePtr engine_;
};

Napi::Value EngineWrap::Load(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(info.Env(), "path must be a string");
  return (new LoadWorker(info.Env(), info[0].As<Napi::String>().Utf8Value()))->start();
}

Napi::Value EngineWrap::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const EnginePtr& e = engine(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensorrtVersion", runtimeTensorRtVersion());
  o.Set("metadata", e->metadata());
  Napi::Array io = Napi::Array::New(env);
  std::uint32_t k = 0;
  for (const IoTensorInfo& t : e->io()) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("name", t.name);
    d.Set("mode", t.isInput ? "input" : "output");
    d.Set("dtype", t.dtype);
    d.Set("shape", shapeToJs(env, t.shape));
    d.Set("format", t.format);
    io.Set(k++, d);
  }
  o.Set("io", io);
  return o;
}

class InferWorker : public PromiseWorker {
 public:
  InferWorker(Napi::Env env, EnginePtr engine, std::vector<HostTensor> inputs)
      : PromiseWorker(env, "trtdiff.infer"), engine_(std::move(engine)), inputs_(std::move(inputs)) {}

 protected:
  void Run() override { outputs_ = engine_->infer(inputs_); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, outputs_.size());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const HostTensor& t = outputs_[i];
      Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, t.bytes.size());
      if (!t.bytes.empty()) std::memcpy(buf.Data(), t.bytes.data(), t.bytes.size());
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", t.name);
      o.Set("dtype", t.dtype);
      o.Set("shape", shapeToJs(env, t.shape));
      o.Set("data", Napi::Uint8Array::New(env, t.bytes.size(), buf, 0));
      out.Set(i, o);
    }
    return out;
  }

 private:
  EnginePtr engine_;
  std::vector<HostTensor> inputs_;
  std::vector<HostTensor> outputs_;
};

// feeds: [{name, dtype, shape, data: Uint8Array}]; the bytes are copied so JS may reuse them at once.
Napi::Value EngineWrap::Infer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "feeds must be an array");
  Napi::Array feeds = info[0].As<Napi::Array>();
  std::vector<HostTensor> inputs;
  for (std::uint32_t i = 0; i < feeds.Length(); ++i) {
    Napi::Object f = feeds.Get(i).As<Napi::Object>();
    HostTensor t;
    t.name = f.Get("name").As<Napi::String>().Utf8Value();
    t.dtype = f.Get("dtype").As<Napi::String>().Utf8Value();
    t.shape = shapeFromJs(env, f.Get("shape"), t.name);
    Napi::Value data = f.Get("data");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, t.name + ": data must be a Uint8Array of the tensor's bytes");
    Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
    t.bytes.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
    inputs.push_back(std::move(t));
  }
  return (new InferWorker(env, engine(env), std::move(inputs)))->start();
}

Napi::Value EngineWrap::Inspect(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), engine(info.Env())->inspect());
}

class BuildWorker : public PromiseWorker {
 public:
  BuildWorker(Napi::Env env, BuildOptions options)
      : PromiseWorker(env, "trtdiff.build"), options_(std::move(options)) {}

 protected:
  void Run() override { report_ = buildEngineFromOnnx(options_); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("enginePath", options_.enginePath);
    o.Set("capture", report_.capture);
    o.Set("markedTensors", report_.markedTensors);
    Napi::Array messages = Napi::Array::New(env, report_.messages.size());
    for (std::size_t i = 0; i < report_.messages.size(); ++i) messages.Set(i, report_.messages[i]);
    o.Set("messages", messages);
    return o;
  }

 private:
  BuildOptions options_;
  BuildReport report_;
};

Capture captureFromJs(Napi::Env env, const std::string& s) {
  if (s == "auto") return Capture::kAuto;
  if (s == "outputs") return Capture::kOutputs;
  if (s == "debug") return Capture::kDebug;
  if (s == "none") return Capture::kNone;
  throw Napi::TypeError::New(env, "capture must be auto, outputs, debug or none");
}

// options: {onnxPath, enginePath, int8?, calibrationCache?, capture?, inputShapes?: {name: shape},
// workspaceBytes?}
Napi::Value buildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  BuildOptions opt;
  opt.onnxPath = o.Get("onnxPath").As<Napi::String>().Utf8Value();
  opt.enginePath = o.Get("enginePath").As<Napi::String>().Utf8Value();
  if (o.Has("int8")) opt.int8 = o.Get("int8").ToBoolean().Value();
  if (o.Has("calibrationCache") && o.Get("calibrationCache").IsString())
    opt.calibrationCache = o.Get("calibrationCache").As<Napi::String>().Utf8Value();
  if (o.Has("capture")) opt.capture = captureFromJs(env, o.Get("capture").As<Napi::String>().Utf8Value());
  if (o.Has("workspaceBytes") && o.Get("workspaceBytes").IsNumber())
    opt.workspaceBytes = static_cast<std::size_t>(o.Get("workspaceBytes").As<Napi::Number>().Int64Value());
  if (o.Has("inputShapes") && o.Get("inputShapes").IsObject()) {
    Napi::Object shapes = o.Get("inputShapes").As<Napi::Object>();
    Napi::Array names = shapes.GetPropertyNames();
    for (std::uint32_t i = 0; i < names.Length(); ++i) {
      const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      opt.inputShapes[name] = shapeFromJs(env, shapes.Get(name), name);
    }
  }
  return (new BuildWorker(env, std::move(opt)))->start();
}

}  // namespace

void registerTensorRt(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = EngineWrap::Define(env);
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(ctor)));
  exports.Set("TrtEngine", ctor);
  exports.Set("buildEngine", Napi::Function::New(env, buildEngine, "buildEngine"));
}

}  // namespace trtdiff
