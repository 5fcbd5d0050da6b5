#!/usr/bin/env bash
# How it ran (2026-12-07): the device machine receives a checkout of main, so this branch's CMakeLists.txt,
# cuda/, native/ and bench/cuda/ were copied to <checkout>/.devcarry/src/ and this script to
# .devcarry/device.sh; run from the checkout's root. "old" builds the checkout's own kernels.
# The variant kernels (n2/n3/n4) were not adopted and are not in the repository: bench/README.md §5 says what they changed.
# perf session device run: CUDA compare kernels (old = main's, new = perf branch, narrow unroll 2/3/4)
# built and run in one call, so that the ratios to the same-process D2D copy compare.
set -u
R=$PWD; D=$R/.devcarry
echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc; uptime
build() { cmake -S "$2" -B /tmp/b-$1 -G Ninja -DTRTDIFF_BUILD_TESTS=ON -DTRTDIFF_WITH_TENSORRT=OFF -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES="90-real" ${3:+-DCMAKE_CUDA_FLAGS=$3} > /tmp/b-$1.log 2>&1 && cmake --build /tmp/b-$1 -j 4 >> /tmp/b-$1.log 2>&1 \
  || { echo "build $1 failed"; tail -30 /tmp/b-$1.log; }; }
( build old "$R" "" & build n3 "$D/src" "" & build n2 "$D/src" "-DTRTDIFF_COMPARE_UNROLL_NARROW=2" & build n4 "$D/src" "-DTRTDIFF_COMPARE_UNROLL_NARROW=4" & wait ) &
BUILDS=$!
# (The CPU scaling part that once followed here is bench/device/cpu-scaling.sh.)
wait $BUILDS
for v in old n3 n2 n4 old n3; do
  echo "== kernels $v"; [ -x /tmp/b-$v/cuda/test_kernels ] || continue
  /tmp/b-$v/cuda/test_kernels 2>&1 | tail -1
  /tmp/b-$v/bench/cuda/bench_compare 28 20 | grep "^|"
done
grep -h "spill\|registers" /tmp/b-n3.log | head -8
