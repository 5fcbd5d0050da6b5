#!/usr/bin/env bash
# Builds the contract harness for one TensorRT header set (test/trt-standin: a stand-in TensorRT that
# checks control flow, lifetimes, names, shapes and coverage — never numbers).
#   test/trt-standin/build.sh <version> addon   → build-standin/<version>/Release/trt_diff_native.node
#                                                 (load it with TRT_DIFF_NATIVE=<that path>)
#   test/trt-standin/build.sh <version> asan    → build-standin/<version>-asan/trt_contract_test (ASan/UBSan)
# <version> is a folder of ../shared/trt (v10.0.1, v10.16, v11.1), or set TRTDIFF_TRT_HEADERS to
# another TensorRT include folder. Exits 3, printing why, when the headers are absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:?usage: build.sh <version> addon|asan}
what=${2:?usage: build.sh <version> addon|asan}
headers=${TRTDIFF_TRT_HEADERS:-$(cd .. && pwd)/shared/trt/$version/include}
if [[ ! -f "$headers/NvInfer.h" ]]; then
  echo "skip: no TensorRT headers at $headers (the contract harness needs ../shared/trt)"
  exit 3
fi
case "$what" in
  addon)
    npx cmake-js compile --directory . --out "build-standin/$version" --CDTRTDIFF_TRT_STANDIN="$headers" ;;
  asan)
    cmake -S . -B "build-standin/$version-asan" -DCMAKE_BUILD_TYPE=Debug -DTRTDIFF_TRT_STANDIN="$headers" \
      -DTRTDIFF_SANITIZE=ON -DTRTDIFF_WITH_CUDA=OFF >/dev/null
    cmake --build "build-standin/$version-asan" --target trt_contract_test -j "$(nproc)" ;;
  *) echo "unknown target $what (addon or asan)"; exit 2 ;;
esac
