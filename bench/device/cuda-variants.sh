#!/usr/bin/env bash
# How it ran (2026-12-07): the device machine receives a checkout of main, so this branch's CMakeLists.txt,
# cuda/, native/ and bench/cuda/ were copied to <checkout>/.devcarry/src/ and this script to
# .devcarry/device.sh; run from the checkout's root. "old" builds the checkout's own kernels.
# perf session device run: CUDA compare kernels (old = main's, new = perf branch, narrow unroll 2/3/4)
# and the trt-diff core scaling table (carried Node build, pruned deps), ratios in this one call.
set -u
R=$PWD; D=$R/.devcarry
echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc; uptime
build() { cmake -S "$2" -B /tmp/b-$1 -G Ninja -DTRTDIFF_BUILD_TESTS=ON -DTRTDIFF_WITH_TENSORRT=OFF -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES="90-real" ${3:+-DCMAKE_CUDA_FLAGS=$3} > /tmp/b-$1.log 2>&1 && cmake --build /tmp/b-$1 -j 4 >> /tmp/b-$1.log 2>&1 \
  || { echo "build $1 failed"; tail -30 /tmp/b-$1.log; }; }
( build old "$R" "" & build n3 "$D/src" "" & build n2 "$D/src" "-DTRTDIFF_COMPARE_UNROLL_NARROW=2" & build n4 "$D/src" "-DTRTDIFF_COMPARE_UNROLL_NARROW=4" & wait ) &
BUILDS=$!
# Node app (dist + pruned node_modules + stripped node binary) unpacked meanwhile
if [ -f "$D/appS.tar.xz" ]; then
mkdir -p /tmp/x && python3 -c "import lzma,sys,tarfile; tarfile.open(fileobj=lzma.open('$D/appS.tar.xz')).extractall('/tmp/x')"; A=/tmp/x/appS; export PATH=$A/bin:$PATH
node --version
python3 - <<'PY'
import numpy as np, os
os.makedirs('/tmp/npy', exist_ok=True)
with open('/tmp/npy/list.txt','w') as f:
    for i in range(64):
        p=f'/tmp/npy/r{i:03d}.npy'; np.save(p, np.random.default_rng(i).random((1,3,640,640), dtype=np.float32)); f.write(p+'\n')
PY
F=$R/fixtures/yolov8n_fp32.onnx; Q=$R/fixtures/yolov8n_int8_ort_minmax_collapsed.onnx
IN32=$(head -32 /tmp/npy/list.txt | sed 's/^/--input /')
tdiff() { local t0=$(date +%s.%N); "$@" > /tmp/o.txt 2>&1; local rc=$?; local t1=$(date +%s.%N); echo "$(echo "$t1 - $t0" | bc) rc=$rc"; [ $rc = 0 ] || tail -3 /tmp/o.txt; }
echo "== scaling: trt-diff run, 32 images, YOLOv8n FP32 vs the collapsed ORT MinMax Q/DQ (fixtures); taskset cores; default workers (= cores/4) and --workers 1"
for c in 1 2 4 8 16; do
  echo "cores=$c default: $(tdiff taskset -c 0-$((c-1)) node $A/dist/cli/main.js run --fp32 $F --int8 $Q $IN32 -q --json /tmp/s-$c.json)"
  [ $c -ge 4 ] && echo "cores=$c workers=1: $(tdiff taskset -c 0-$((c-1)) node $A/dist/cli/main.js run --fp32 $F --int8 $Q $IN32 -q --workers 1)"
  [ $c -ge 4 ] && echo "cores=$c workers=$((c/2)): $(tdiff taskset -c 0-$((c-1)) node $A/dist/cli/main.js run --fp32 $F --int8 $Q $IN32 -q --workers $((c/2)))"
done
echo "== same 32 images, 16 cores: streamed script and inference floor (python onnxruntime, default threads)"
echo "script: $(tdiff python3 $D/streamed_script.py $F $Q /tmp/npy/list.txt 32)"; tail -1 /tmp/o.txt
echo "floor: $(tdiff python3 $D/streamed_script.py $F $Q /tmp/npy/list.txt 32 --floor)"; tail -1 /tmp/o.txt
node -e 'for (const c of [1,16]) { const r=require(`/tmp/s-${c}.json`); console.log(c, r.samples.length, r.candidates[0].summary.worstSqnrDb, JSON.stringify(r.timing)); }'
fi
wait $BUILDS
for v in old n3 n2 n4 old n3; do
  echo "== kernels $v"; [ -x /tmp/b-$v/cuda/test_kernels ] || continue
  /tmp/b-$v/cuda/test_kernels 2>&1 | tail -1
  /tmp/b-$v/bench/cuda/bench_compare 28 20 | grep "^|"
done
grep -h "spill\|registers" /tmp/b-n3.log | head -8
