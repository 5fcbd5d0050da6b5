// Contract test of the TensorRT runner (native/trt_*.cpp) against the stand-in TensorRT
// (test/trt-standin). It checks control flow, lifetimes, names, shapes and error paths — never
// numbers: the stand-in's outputs are filler. Run under ASan/UBSan in CI for the 10.0.1, 10.16 and
// 11.1 headers.
//
// usage: trt_contract_test <folder holding yolov8n_fp32.onnx and yolov8n_int8_qdq_entropy.onnx> <scratch dir>
// Prints one line per check and ends with "contract: N passed, M failed"; exit 1 on any failure.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "trt_builder.h"
#include "trt_engine.h"
#include "trt_loader.h"
#include "trt_version.h"

using namespace trtdiff;

namespace {

int g_passed = 0, g_failed = 0;
std::string g_models, g_scratch;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  (ok ? g_passed : g_failed)++;
}

// Runs `f` and returns the TrtError/runtime_error text, or "" when it did not throw.
std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what()[0] != '\0' ? e.what() : "(empty message)";
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string fp32Model() { return g_models + "/yolov8n_fp32.onnx"; }
std::string qdqModel() { return g_models + "/yolov8n_int8_qdq_entropy.onnx"; }

BuildOptions options(const std::string& onnx, const std::string& engine, Capture capture) {
  BuildOptions o;
  o.onnxPath = onnx;
  o.enginePath = g_scratch + "/" + engine;
  o.capture = capture;
  return o;
}

HostTensor imageInput() {
  HostTensor t;
  t.name = "images";
  t.dtype = "float32";
  t.shape = {1, 3, 640, 640};
  t.bytes.assign(1 * 3 * 640 * 640 * 4, 0);
  return t;
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
  }
  return names;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Names in the inspector JSON's "Outputs" arrays and the "[ONNX Layer: ...]" metadata entries.
// A tiny scan, not a JSON parser: enough for the stand-in's compact output.
std::set<std::string> jsonValues(const std::string& json, const std::string& key) {
  std::set<std::string> out;
  const std::string k = "\"" + key + "\":\"";
  for (std::size_t p = json.find(k); p != std::string::npos; p = json.find(k, p + 1)) {
    const std::size_t start = p + k.size();
    out.insert(json.substr(start, json.find('"', start) - start));
  }
  return out;
}

void testLoader() {
  const TrtLibraryStatus& s = trtLibrary();
  check(s.loaded, "libnvinfer opened lazily (" + s.nvinferPath + ")" + (s.loaded ? "" : ": " + s.error));
  check(s.runtimeVersion == compiledTensorRtVersion(),
        "loaded version " + s.runtimeVersion + " equals the headers' " + compiledTensorRtVersion());
  check(versionMismatch(100300, 100300).empty(), "versionMismatch: same version accepted");
  check(versionMismatch(101600, 100300).empty(), "versionMismatch: newer minor library accepted");
  check(contains(versionMismatch(100300, 101600), "older than"), "versionMismatch: older library refused");
  check(contains(versionMismatch(110100, 101600), "major"), "versionMismatch: other major refused");
}

// A child process with TRTSTANDIN_LIB_VERSION set: the stand-in then reports another version.
void testVersionMismatchInChild(const char* self) {
  const int older = NV_TENSORRT_MAJOR * 10000 + (NV_TENSORRT_MINOR > 0 ? NV_TENSORRT_MINOR - 1 : 0) * 100;
  const int otherMajor = (NV_TENSORRT_MAJOR + 1) * 10000;
  for (int v : {otherMajor, NV_TENSORRT_MINOR > 0 ? older : otherMajor}) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("TRTSTANDIN_LIB_VERSION", std::to_string(v).c_str(), 1);
      execl(self, self, "--expect-version-refused", g_models.c_str(), g_scratch.c_str(), static_cast<char*>(nullptr));
      _exit(3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "library reporting " + std::to_string(v) + " is refused before any TensorRT call");
  }
}

int childExpectVersionRefused(const std::string& models, const std::string& scratch) {
  g_models = models;
  g_scratch = scratch;
  const std::string why = errorOf([] { buildEngineFromOnnx(options(fp32Model(), "never.engine", Capture::kNone)); });
  std::printf("child: %s\n", why.c_str());
  return contains(why, "TensorRT is not usable") && (contains(why, "older than") || contains(why, "major version")) ? 0 : 1;
}

void testFp32Plain() {
  const BuildOptions o = options(fp32Model(), "fp32.engine", Capture::kNone);
  BuildReport r;
  const std::string err = errorOf([&] { r = buildEngineFromOnnx(o); });
  check(err.empty(), "FP32 build, capture none" + (err.empty() ? "" : ": " + err));
  check(r.capture == "none" && r.markedTensors == 0, "capture none marks nothing");
  std::unique_ptr<TrtEngine> e;
  check(errorOf([&] { e = TrtEngine::load(o.enginePath); }).empty(), "FP32 engine loads");
  if (!e) return;
  check(e->io().size() == 2 && e->io()[0].name == "images" && e->io()[0].isInput && e->io()[1].name == "output0",
        "I/O are the ONNX graph's images → output0");
  check(e->io()[1].shape == std::vector<std::int64_t>({1, 84, 8400}), "output0 shape [1,84,8400] from the ONNX");
  std::vector<HostTensor> out;
  const std::string inferErr = errorOf([&] { out = e->infer({imageInput()}); });
  check(inferErr.empty(), "infer" + (inferErr.empty() ? "" : ": " + inferErr));
  check(out.size() == 1 && out[0].name == "output0" && out[0].bytes.size() == 84 * 8400 * 4,
        "infer returns output0 with 84·8400 float32 values and no debug tensors");
  // A second call reuses buffers; leaving the input out must fail, not reuse the last bytes.
  check(contains(errorOf([&] { e->infer({}); }), "missing input(s): images"), "an omitted input is named");
  HostTensor wrong = imageInput();
  wrong.bytes.resize(12);
  check(contains(errorOf([&] { e->infer({wrong}); }), "bytes, expected"), "a short input is refused");
  HostTensor twice = imageInput();
  check(contains(errorOf([&] { e->infer({twice, imageInput()}); }), "given 2 times"), "a duplicated input is refused");
  check(errorOf([&] { out = e->infer({imageInput()}); }).empty(), "the engine still runs after refused calls");
  const std::string json = e->inspect();
  check(contains(json, "\"Metadata\":\"[ONNX Layer: /model.0/conv/Conv]"), "inspector: detailed layers with ONNX metadata");
}

void testQdq(const char* label, Capture capture) {
  const BuildOptions o = options(qdqModel(), std::string("qdq-") + label + ".engine", capture);
  BuildOptions oi = o;
  oi.int8 = true;
  BuildReport r;
  const std::string err = errorOf([&] { r = buildEngineFromOnnx(oi); });
  const bool debugWanted = capture == Capture::kDebug || (capture == Capture::kAuto && TRTDIFF_HAVE_UNFUSED_DEBUG_TENSORS);
#if !TRTDIFF_HAVE_UNFUSED_DEBUG_TENSORS
  if (capture == Capture::kDebug) {
    check(contains(err, "needs TensorRT 10.12"), std::string("Q/DQ ") + label + ": debug capture refused before 10.12");
    return;
  }
#endif
  check(err.empty(), std::string("Q/DQ INT8 build, capture ") + label + (err.empty() ? "" : ": " + err));
  check(r.capture == (debugWanted ? "debug" : "outputs"), "capture used: " + r.capture);
  std::unique_ptr<TrtEngine> e;
  check(errorOf([&] { e = TrtEngine::load(o.enginePath); }).empty(), "Q/DQ engine loads");
  if (!e) return;
  std::vector<HostTensor> out;
  const std::string inferErr = errorOf([&] { out = e->infer({imageInput()}); });
  check(inferErr.empty(), "Q/DQ infer" + (inferErr.empty() ? "" : ": " + inferErr));
  const std::string json = e->inspect();
  const std::set<std::string> layerOutputs = jsonValues(json, "Name");
  std::size_t internal = 0, dequantized = 0, unknown = 0;
  for (const HostTensor& t : out) {
    internal += t.name.rfind("__mye", 0) == 0 ? 1 : 0;
    dequantized += contains(t.name, "DequantizeLinear") ? 1 : 0;
    unknown += layerOutputs.count(t.name) == 0 ? 1 : 0;
  }
  if (debugWanted) {
    check(e->io().size() == 2, "debug capture: the engine's I/O stay images → output0");
    check(out.size() > 100 && internal + 1 == out.size(),
          "debug capture: " + std::to_string(out.size() - 1) + " debug tensors, all under internal names");
  } else {
    check(static_cast<int>(e->io().size()) == 2 + r.markedTensors && r.markedTensors > 100,
          "output capture: " + std::to_string(r.markedTensors) + " marked outputs are engine outputs");
    check(internal == 0 && out.size() == e->io().size() - 1, "output capture: every output under its ONNX name");
  }
  check(dequantized == 0, "no DequantizeLinear output is exposed (TensorRT fuses Q/DQ)");
  check(unknown == 0, "every returned tensor is an output of an inspector layer (mappable to ONNX)");
  const char separator = NV_TENSORRT_MAJOR >= 11 ? '\x1F' : '\x1E';
  char sepEscaped[8];
  std::snprintf(sepEscaped, sizeof sepEscaped, "\\u%04x", separator);
  check(contains(json, std::string("]") + sepEscaped + "[ONNX Layer: "), "fused Q/DQ names joined into layer metadata");
}

void testErrorPaths() {
  for (const char* call : {"createInferBuilder", "createNetworkV2", "createParser", "createBuilderConfig"}) {
    setenv("TRTSTANDIN_FAIL", call, 1);
    const std::string err = errorOf([] { buildEngineFromOnnx(options(fp32Model(), "fail.engine", Capture::kNone)); });
    unsetenv("TRTSTANDIN_FAIL");
    check(contains(err, std::string(call) + " failed"), std::string("null from ") + call + " → error: " + err);
  }
  const BuildOptions ok = options(fp32Model(), "fp32-errors.engine", Capture::kNone);
  buildEngineFromOnnx(ok);
  for (const char* call : {"createInferRuntime", "deserializeCudaEngine", "createExecutionContext"}) {
    setenv("TRTSTANDIN_FAIL", call, 1);
    const std::string err = errorOf([&] { TrtEngine::load(ok.enginePath); });
    unsetenv("TRTSTANDIN_FAIL");
    check(contains(err, call) && contains(err, "failed"), std::string("null from ") + call + " → error: " + err);
  }
  // A plan from another TensorRT version: TensorRT's message reaches the user.
  std::string plan = readFile(ok.enginePath);
  std::int64_t other = 99999;
  std::memcpy(&plan[16], &other, sizeof other);
  writeFile(g_scratch + "/other-version.engine", plan);
  const std::string versionErr = errorOf([] { TrtEngine::load(g_scratch + "/other-version.engine"); });
  check(contains(versionErr, "cannot deserialize engine") && contains(versionErr, "Version tag does not match"),
        "a plan from another version is refused with TensorRT's reason");
  // An Ultralytics .engine: 4-byte length + JSON + plan.
  const std::string meta = "{\"stride\": 32, \"names\": {\"0\": \"person\"}}";
  std::string ultra(4, '\0');
  for (int i = 0; i < 4; ++i) ultra[i] = static_cast<char>((meta.size() >> (8 * i)) & 0xff);
  writeFile(g_scratch + "/ultralytics.engine", ultra + meta + readFile(ok.enginePath));
  std::unique_ptr<TrtEngine> u;
  check(errorOf([&] { u = TrtEngine::load(g_scratch + "/ultralytics.engine"); }).empty() && u && u->metadata() == meta,
        "an Ultralytics .engine loads and its metadata is kept");
  check(contains(errorOf([] { buildEngineFromOnnx(options(g_models + "/missing.onnx", "x.engine", Capture::kNone)); }),
                 "ONNX parse failed"),
        "a missing ONNX file is a parse error");
  check(contains(errorOf([] {
                   buildEngineFromOnnx(options(g_models + "/yolov8n_int8_dynamic_uint8w.onnx", "dyn.engine", Capture::kNone));
                 }),
                 "No importer registered for op"),
        "an op TensorRT has no importer for is named");
#if TRTDIFF_HAVE_IMPLICIT_INT8
  BuildOptions cal = options(fp32Model(), "implicit.engine", Capture::kNone);
  cal.int8 = true;
  check(contains(errorOf([&] { buildEngineFromOnnx(cal); }), "calibration cache or a Q/DQ"),
        "INT8 from an FP32 model without a cache is refused, not built as FP32");
  writeFile(g_scratch + "/good.cache", "TRT-100300-EntropyCalibration2\nimages: 3c010204\n");
  cal.calibrationCache = g_scratch + "/good.cache";
  BuildReport r;
  check(errorOf([&] { r = buildEngineFromOnnx(cal); }).empty(), "implicit INT8 with a cache builds (calibrator alive during the build)");
  bool warned = false;
  for (const std::string& m : r.messages) warned = warned || contains(m, "Missing scale");
  check(warned, "tensors missing from the cache are reported by the builder");
#else
  BuildOptions cal = options(fp32Model(), "implicit.engine", Capture::kNone);
  cal.int8 = true;
  writeFile(g_scratch + "/good.cache", "TRT-100300-EntropyCalibration2\nimages: 3c010204\n");
  cal.calibrationCache = g_scratch + "/good.cache";
  check(contains(errorOf([&] { buildEngineFromOnnx(cal); }), "no calibrator-based INT8"),
        "TensorRT 11: a calibration cache is refused (no implicit INT8)");
#endif
}

void testAtomicWrite() {
  const std::string dir = g_scratch + "/atomic";
  mkdir(dir.c_str(), 0755);
  const BuildOptions o = options(fp32Model(), "atomic/model.engine", Capture::kNone);
  writeFile(o.enginePath, "old bytes");
  check(errorOf([&] { buildEngineFromOnnx(o); }).empty(), "build over an existing engine file");
  check(readFile(o.enginePath).rfind("TRTSTANDINPLAN01", 0) == 0, "the engine file was replaced by the plan");
  check(filesIn(dir) == std::vector<std::string>{"model.engine"}, "no temp file is left beside it");
  const BuildOptions bad = options(fp32Model(), "no-such-dir/model.engine", Capture::kNone);
  check(contains(errorOf([&] { buildEngineFromOnnx(bad); }), "cannot write engine"), "an unwritable path is an error");
  check(filesIn(g_scratch + "/no-such-dir").empty(), "and nothing is half-written");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--expect-version-refused") return childExpectVersionRefused(argv[2], argv[3]);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <models dir> <scratch dir>\n", argv[0]);
    return 2;
  }
  g_models = argv[1];
  g_scratch = argv[2];
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("TensorRT runner contract test against the STAND-IN TensorRT %s (checks control flow, never numbers)\n",
              compiledTensorRtVersion());
  const std::string self = argv[0];
  const std::vector<std::pair<const char*, std::function<void()>>> tests = {
      {"loader", testLoader},
      {"version mismatch", [&] { testVersionMismatchInChild(self.c_str()); }},
      {"fp32 plain", testFp32Plain},
      {"qdq auto", [] { testQdq("auto", Capture::kAuto); }},
      {"qdq outputs", [] { testQdq("outputs", Capture::kOutputs); }},
      {"qdq debug", [] { testQdq("debug", Capture::kDebug); }},
      {"error paths", testErrorPaths},
      {"atomic write", testAtomicWrite},
  };
  for (const auto& [name, run] : tests) {
    const std::string err = errorOf(run);
    if (!err.empty()) check(false, std::string(name) + ": unexpected exception: " + err);
  }
  std::printf("contract: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
