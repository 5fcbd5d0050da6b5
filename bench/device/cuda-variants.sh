#!/usr/bin/env bash
# GPU half of issue #14 on the device machine: builds main's kernels ("old", from the checkout the
# device receives) and this branch's kernels in several staged-loop configurations, runs the kernel
# test of each (CUDA vs the CPU FP64 reference), then the bandwidth benchmark of each against the
# same-process D2D copy, the SASS of the default build and an ncu look at the int8 kernels.
# The device receives a checkout of main, so this branch's CMakeLists.txt, cuda/, native/, bench/
# are copied to <checkout>/.devcarry/src/ (ignored through .git/info/exclude) and carried:
#   run(command="bash .devcarry/src/bench/device/cuda-variants.sh", carry=[".devcarry"])
# Full log, SASS and ncu text land in $OUT; the tables are printed last.
set -u
R=$PWD; S=$R/.devcarry/src; O=${OUT:-/tmp/out}; mkdir -p "$O"
exec > >(tee "$O/gpu.log") 2>&1
t0=$(date +%s)
echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
nproc; date -u; command -v zstd xz cuobjdump ncu | tr '\n' ' '; echo
build() {  # name source-dir cuda-flags
  cmake -S "$2" -B /tmp/b-$1 -G Ninja -DTRTDIFF_BUILD_TESTS=ON -DTRTDIFF_WITH_TENSORRT=OFF -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90-real ${3:+"-DCMAKE_CUDA_FLAGS=$3"} > /tmp/b-$1.log 2>&1 &&
  cmake --build /tmp/b-$1 -j 3 >> /tmp/b-$1.log 2>&1 || { echo "build $1 failed"; tail -30 /tmp/b-$1.log; }
}
declare -A FLAGS=(
  [A]=""                                                          # default: 4 stages, 2 blocks/SM, chunks of 2
  [B]="-DTRTDIFF_STAGES=3 -DTRTDIFF_STAGED_MIN_BLOCKS=3"          # 3 blocks/SM (80 registers)
  [C]="-DTRTDIFF_STAGED_SUB=4"                                    # chunks of 4 float4 pairs
  [D]="-DTRTDIFF_STAGES=2"                                        # 1 tile in flight while computing one
  [E]="-DTRTDIFF_COMPARE_THREADS=128 -DTRTDIFF_STAGED_MIN_BLOCKS=4"  # 128-thread blocks, 4 per SM
  [P]="-DTRTDIFF_CANDIDATE_DIVIDE_ALL=1"                          # flagged chunks divide for every pair
)
VARIANTS=${VARIANTS:-"A B C E"}
# (explicit pids: a bare `wait` would also wait for the tee of the log, which never ends)
pids=""; build old "$R" "" & pids="$pids $!"
for v in $VARIANTS; do build $v "$S" "${FLAGS[$v]}" & pids="$pids $!"; done
wait $pids
echo "== builds done after $(( $(date +%s) - t0 )) s"
for v in $VARIANTS; do echo "-- $v ${FLAGS[$v]}"; grep -A1 "compareStagedKernel.*E2ELb1\|compareStagedKernel.*E1ELb0\|compareStagedKernel.*E0ELb0" /tmp/b-$v.log | grep -oE "Used [0-9]+ registers|[0-9]+ bytes spill stores" | paste -sd' '; done
echo "== kernel tests (in parallel)"
pids=""; for v in $VARIANTS; do ( timeout 240 /tmp/b-$v/cuda/test_kernels > /tmp/t-$v.log 2>&1; echo "rc=$?" >> /tmp/t-$v.log ) & pids="$pids $!"; done
wait $pids
for v in $VARIANTS; do echo "-- $v: $(grep -E 'compare grid' /tmp/t-$v.log)"; grep -E "FAIL|single-pair|batched|histogram|checks|rc=" /tmp/t-$v.log | head -12; done
cp /tmp/t-A.log "$O/test-A.log"
echo "== tests done after $(( $(date +%s) - t0 )) s"
echo "== benchmarks (2^28 elements, 1 GiB f32 reference; best/median of 30 calls; old: mean of 20)"
for v in old $VARIANTS A; do
  echo "-- $v ${FLAGS[$v]:-}"
  if [ $v = old ]; then timeout 90 /tmp/b-old/bench/cuda/bench_compare 28 20 | grep -E "^\||device"
  else timeout 90 /tmp/b-$v/bench/cuda/bench_compare 28 30 | grep -E "^\||device|staged grid"; fi
done
echo "== benchmarks done after $(( $(date +%s) - t0 )) s"
cuobjdump -sass /tmp/b-A/cuda/libtrtdiff_cuda.a 2>&1 | xz -6 > "$O/sass-A.txt.xz"
grep -h "spill\|registers\|Compiling entry" /tmp/b-A.log > "$O/ptxas-A.txt"
if [ "${NCU:-1}" = 1 ] && command -v ncu >/dev/null; then
  for k in "compareStagedKernelILNS_9TestDTypeE2E 1" "compareKernelILNS_9TestDTypeE2E 1"; do
    set -- $k
    timeout 100 ncu --clock-control none --kernel-name-base mangled -k regex:$1 --launch-skip $2 --launch-count 1 \
      --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section SchedulerStats \
      --section WarpStateStats --section Occupancy --section InstructionStats \
      --metrics sm__inst_executed_pipe_fp64.avg.pct_of_peak_sustained_active,sm__pipe_fp64_cycles_active.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,dram__bytes_read.sum.per_second \
      /tmp/b-A/bench/cuda/bench_compare 28 3 >> "$O/ncu.txt" 2>&1 || echo "ncu $1 rc=$?" >> "$O/ncu.txt"
  done
  grep -E "DRAM Throughput|Memory Throughput|Duration|Issue Slots Busy|Executed Ipc A|No Eligible|Achieved Occupancy|pipe_fp64|pipe_xu|dram__bytes|SM Busy|==PROF==|Registers Per|Warp Cycles Per Issued" "$O/ncu.txt" | head -60
fi
echo "== all done after $(( $(date +%s) - t0 )) s"
