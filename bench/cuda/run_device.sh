#!/usr/bin/env bash
# Builds and runs the CUDA kernel test and the bandwidth benchmark on a machine with a CUDA GPU.
# Needs only CMake and the CUDA toolkit (no Node, no TensorRT). Run from the repository root:
#   bash bench/cuda/run_device.sh [log2 elements=28] [iterations=20]
# A sweep of block size / unroll depth follows the default configuration, to justify the defaults.
set -uo pipefail
log2n=${1:-28}
iters=${2:-20}
build=${BUILD_DIR:-/tmp/trtdiff-cuda}
jobs=$(nproc)
archs="90-real;90-virtual"

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
cmake -S . -B "$build" -DTRTDIFF_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" 2>&1 | grep -E "error|warning|ptxas info *: Used|Function properties|spill" 
echo
echo "== kernel test"
"$build/cuda/test_kernels"
status=$?
echo
echo "== benchmark (defaults)"
"$build/bench/cuda/bench_compare" "$log2n" "$iters"

echo
echo "== sweep: threads x unroll x min blocks/SM (registers of the f32 kernel, test summary, benchmark)"
sweep=${SWEEP:-"256,4,1 128,4,1 256,2,1 128,2,1 512,2,1 128,2,6 256,1,3 256,4,3"}
for cfg in $sweep; do
  IFS=, read -r t u b <<<"$cfg"; set -- "$t" "$u" "$b"
  dir="$build-t$1-u$2-b$3"
  cmake -S . -B "$dir" -DTRTDIFF_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$archs" \
    -DCMAKE_CUDA_FLAGS="-DTRTDIFF_COMPARE_THREADS=$1 -DTRTDIFF_COMPARE_UNROLL=$2 -DTRTDIFF_COMPARE_MIN_BLOCKS=$3" \
    >/dev/null 2>&1 || { echo "configure failed: $cfg"; continue; }
  echo
  echo "threads=$1 unroll=$2 minBlocks=$3:" $(cmake --build "$dir" -j "$jobs" 2>&1 |
    grep -A2 "compareKernelILNS_9TestDTypeE0" | grep -oE "[0-9]+ bytes spill stores|Used [0-9]+ registers")
  "$dir/cuda/test_kernels" | grep -E "FAIL|checks"
  "$dir/bench/cuda/bench_compare" "$log2n" "$iters" | grep "^|"
done
exit $status
