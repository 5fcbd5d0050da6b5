#!/usr/bin/env bash
# How it ran (2026-12-07): the GPU machine has no Node. .devcarry/appS.tar.zst held this branch's dist/,
# package.json, build/Release/trt_diff_native.node, node_modules pruned to what `run` loads without
# images or dumps (onnxruntime-node linux-x64, onnxruntime-common, yargs and its deps, cli-table3,
# @bufbuild/protobuf, onnx-buf) and a stripped copy of /usr/bin/node (v20.20): 136 MB, 44.5 MB as
# zstd -12, under the 64 MiB the device accepts with the 20 MB checkout. Inputs are 32 seeded
# random .npy tensors made there (the same files for every tool).
# perf session, second device call: trt-diff scaling over cores (carried Node build, pruned deps)
# and the 2-core headline (taskset -c 0,1) against the streamed script and the inference floor.
set -u
R=$PWD; D=$R/.devcarry
echo "== machine"; nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uptime; python3 -c "import onnxruntime as o, numpy as n; print('ort', o.__version__, 'numpy', n.__version__)"
mkdir -p /tmp/x
if command -v zstd >/dev/null; then zstd -dc "$D/appS.tar.zst" | tar xf - -C /tmp/x
else python3 -c "import zstandard,tarfile; tarfile.open(fileobj=zstandard.ZstdDecompressor().stream_reader(open('$D/appS.tar.zst','rb')), mode='r|').extractall('/tmp/x')" || { echo "no zstd decompressor here"; exit 1; }; fi
A=/tmp/x/appS; export PATH=$A/bin:$PATH
node --version
python3 - <<'PY'
import numpy as np, os
os.makedirs('/tmp/npy', exist_ok=True)
with open('/tmp/npy/list.txt','w') as f:
    for i in range(32):
        p=f'/tmp/npy/r{i:03d}.npy'; np.save(p, np.random.default_rng(i).random((1,3,640,640), dtype=np.float32)); f.write(p+'\n')
PY
F=$R/fixtures/yolov8n_fp32.onnx; Q=$R/fixtures/yolov8n_int8_ort_minmax_collapsed.onnx
ins() { head -$1 /tmp/npy/list.txt | sed 's/^/--input /'; }
# wall time; peak RSS of the largest process (python resource.getrusage of the children)
tdiff() { python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.perf_counter()
with open('/tmp/o.txt', 'w') as out:
    rc = subprocess.call(sys.argv[1:], stdout=out, stderr=subprocess.STDOUT)
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{dt:.2f} s, maxrss {rss:.0f} MB, rc={rc}")
if rc: print(open('/tmp/o.txt').read()[-400:])
PY
}
TD="node $A/dist/cli/main.js run --fp32 $F --int8 $Q -q"
echo "== 2 cores (taskset -c 0,1): trt-diff vs streamed script vs inference floor, alternating"
for n in 8 32; do for round in 1 2; do
  echo "n=$n r=$round trt-diff:           $(tdiff taskset -c 0,1 $TD $(ins $n) --json /tmp/h-$n.json)"
  echo "n=$n r=$round streamed script:    $(tdiff taskset -c 0,1 python3 $D/streamed_script.py $F $Q /tmp/npy/list.txt $n)"; tail -1 /tmp/o.txt | cut -c1-220
  echo "n=$n r=$round trt-diff workers 2: $(tdiff taskset -c 0,1 $TD $(ins $n) --workers 2)"
  echo "n=$n r=$round inference floor:    $(tdiff taskset -c 0,1 python3 $D/streamed_script.py $F $Q /tmp/npy/list.txt $n --floor)"
done; node -e "const r=require('/tmp/h-$n.json'); console.log(JSON.stringify(r.timing), r.candidates[0].summary.compared)"; done
echo "== scaling: 32 images; cores via taskset; default workers (cores/4), --workers 1, --workers cores/2"
for c in 1 2 4 8 16; do
  echo "cores=$c default: $(tdiff taskset -c 0-$((c-1)) $TD $(ins 32))"
  [ $c -ge 4 ] && echo "cores=$c workers=1: $(tdiff taskset -c 0-$((c-1)) $TD $(ins 32) --workers 1)"
  [ $c -ge 4 ] && echo "cores=$c workers=$((c/2)): $(tdiff taskset -c 0-$((c-1)) $TD $(ins 32) --workers $((c/2)))"
done
