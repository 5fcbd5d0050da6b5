// Shared by the stand-in TensorRT libraries (test/trt-standin): a contract harness that lets the
// real addon sources run their TensorRT code path on a machine without TensorRT. It checks control
// flow, lifetimes, names, shapes and coverage — never numbers.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace trtstandin {

// An API call the stand-in does not implement: the harness stops, naming it, rather than guessing.
[[noreturn]] inline void unimplemented(const char* method) {
  std::fprintf(stderr, "trt-standin: %s is not implemented by the stand-in TensorRT\n", method);
  std::abort();
}

}  // namespace trtstandin
