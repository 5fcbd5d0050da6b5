#include "trt_loader.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <mutex>
#include <stdexcept>
#include <vector>

#include "trt_version.h"

#if defined(_WIN32)
#error "trt-diff loads TensorRT with dlopen; Windows (LoadLibrary) is not supported yet"
#endif
#include <dlfcn.h>

namespace trtdiff {
namespace {

using CreateFn = void* (*)(void*, int32_t);
using CreateParserFn = void* (*)(void*, void*, int);
using VersionFn = int32_t (*)();

struct Library {
  TrtLibraryStatus status;
  CreateFn createRuntime = nullptr;
  CreateFn createBuilder = nullptr;
  CreateParserFn createParser = nullptr;
  VersionFn version = nullptr;
};

std::string versionString(int v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

// Candidate file names, most specific first: the directory TensorRT was found in at build time
// (TRTDIFF_TRT_LIBDIR; the stand-in's folder in harness builds), then the loader's search path.
std::vector<std::string> candidates(const std::string& stem) {
  const std::string soname = "lib" + stem + ".so." + std::to_string(NV_TENSORRT_MAJOR);
  std::vector<std::string> out;
#ifdef TRTDIFF_TRT_LIBDIR
  out.push_back(std::string(TRTDIFF_TRT_LIBDIR) + "/" + soname);
#endif
  out.push_back(soname);
  out.push_back("lib" + stem + ".so");
  return out;
}

void* open(const std::string& stem, std::string* path, std::string* error) {
  std::string errors;
  for (const std::string& c : candidates(stem)) {
    if (void* h = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      *path = c;
      return h;
    }
    const char* e = dlerror();
    errors += (errors.empty() ? "" : "; ") + std::string(e != nullptr ? e : c + ": not found");
  }
  *error = "cannot load lib" + stem + " (" + errors + ")";
  return nullptr;
}

template <class Fn>
bool symbol(void* handle, const char* name, Fn* fn, std::string* error) {
  *fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*fn == nullptr) *error = std::string("the loaded TensorRT library has no ") + name;
  return *fn != nullptr;
}

Library& library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    TrtLibraryStatus& s = lib.status;
    std::string parserPath;
    // Handles stay open for the life of the process (TensorRT objects may outlive any scope here).
    void* nvinfer = open("nvinfer", &s.nvinferPath, &s.error);
    if (nvinfer == nullptr) return;
    if (!symbol(nvinfer, "getInferLibVersion", &lib.version, &s.error)) return;
    const int v = lib.version();
    s.runtimeVersion = versionString(v);
    s.error = versionMismatch(v, NV_TENSORRT_VERSION);
    if (!s.error.empty()) return;
    if (!symbol(nvinfer, "createInferRuntime_INTERNAL", &lib.createRuntime, &s.error)) return;
    if (!symbol(nvinfer, "createInferBuilder_INTERNAL", &lib.createBuilder, &s.error)) return;
    void* parser = open("nvonnxparser", &parserPath, &s.error);
    if (parser == nullptr) return;
    if (!symbol(parser, "createNvOnnxParser_INTERNAL", &lib.createParser, &s.error)) return;
    s.loaded = true;
  });
  return lib;
}

}  // namespace

std::string versionMismatch(int libraryVersion, int headerVersion) {
  const std::string lib = versionString(libraryVersion), headers = versionString(headerVersion);
  if (libraryVersion / 10000 != headerVersion / 10000)
    return "libnvinfer " + lib + " does not match the TensorRT " + headers +
           " headers the addon was built with (different major version); rebuild it (npm run build:native)";
  if (libraryVersion / 100 < headerVersion / 100)
    return "libnvinfer " + lib + " is older than the TensorRT " + headers +
           " headers the addon was built with; install TensorRT " + headers + " or later, or rebuild the addon";
  return "";
}

const TrtLibraryStatus& trtLibrary() { return library().status; }

void requireTrtLibrary() {
  const TrtLibraryStatus& s = trtLibrary();
  if (!s.loaded) throw std::runtime_error("TensorRT is not usable: " + s.error);
}

}  // namespace trtdiff

// The C entry points TensorRT's inline factory functions call. Each returns nullptr (the factories'
// failure value, which every caller checks) when the library could not be loaded.
extern "C" void* createInferRuntime_INTERNAL(void* logger, int32_t version) noexcept {
  const auto& lib = trtdiff::library();
  return lib.status.loaded ? lib.createRuntime(logger, version) : nullptr;
}

extern "C" void* createInferBuilder_INTERNAL(void* logger, int32_t version) noexcept {
  const auto& lib = trtdiff::library();
  return lib.status.loaded ? lib.createBuilder(logger, version) : nullptr;
}

extern "C" void* createNvOnnxParser_INTERNAL(void* network, void* logger, int version) noexcept {
  const auto& lib = trtdiff::library();
  return lib.status.loaded ? lib.createParser(network, logger, version) : nullptr;
}

extern "C" int32_t getInferLibVersion() noexcept {
  const auto& lib = trtdiff::library();
  return lib.version != nullptr ? lib.version() : 0;
}
