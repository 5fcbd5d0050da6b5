// Lazy loading of libnvinfer and libnvonnxparser. The addon does not link TensorRT: it defines the
// few C entry points TensorRT's headers call (createInferRuntime_INTERNAL, createInferBuilder_INTERNAL,
// createNvOnnxParser_INTERNAL, getInferLibVersion) as trampolines into the libraries, opened with
// dlopen on first use. So a TensorRT-enabled addon still loads — and its CPU and CUDA paths work —
// on a machine without TensorRT; the TensorRT runner then says why it is unavailable.
#pragma once

#include <string>

namespace trtdiff {

struct TrtLibraryStatus {
  bool loaded = false;
  std::string nvinferPath;     // where libnvinfer came from ("" when not loaded)
  std::string runtimeVersion;  // "10.3.0" as reported by the loaded library
  std::string error;           // why it is unusable: not found, a symbol missing, or a version mismatch
};

// Opens the libraries once (thread-safe) and checks the loaded version against the headers': the
// major versions must match and the library must not be older than the headers (the addon calls
// through virtual tables the headers describe).
const TrtLibraryStatus& trtLibrary();

// Throws std::runtime_error("TensorRT is not usable: ...") unless trtLibrary().loaded.
void requireTrtLibrary();

// The version check on its own: "" when a library reporting `libraryVersion` (major·10000 +
// minor·100 + patch) can serve an addon compiled against headers `headerVersion`, else why not.
std::string versionMismatch(int libraryVersion, int headerVersion);

}  // namespace trtdiff
