#!/usr/bin/env bash
# CPU half of issue #14 on the 16-core device machine: `trt-diff run` throughput over 1, 2, 4, 8, 16
# cores (taskset), YOLOv8n FP32 (fixtures/yolov8n_fp32.onnx, the same file as ../shared's) vs
# ../shared's yolov8n_int8_qdq_entropy.onnx, 64 seeded random 1x3x640x640 .npy inputs made there;
# and bench/streamed_script.py (one process, --threads = cores) on 16 of them as a baseline.
# The machine has no Node: .devcarry/appS.tar.xz is bench/device/pack-node-app.sh's archive (this
# branch's dist/, the addon, pruned node_modules, a stripped node, the Q/DQ model in extra/):
#   bash bench/device/pack-node-app.sh /work/main/.devcarry/appS.tar.xz ../shared/data/yolov8n/yolov8n_int8_qdq_entropy.onnx
#   run(command="bash .devcarry/src/bench/device/cpu-scaling.sh", carry=[".devcarry"])
# Wall time is spawn to exit (images/s = images / wall); efficiency = (images/s at c) / (c * images/s at 1).
set -u
R=$PWD; D=$R/.devcarry; S=$D/src; O=${OUT:-/tmp/out}; mkdir -p "$O"
exec > >(tee "$O/cpu.log") 2>&1
t0=$(date +%s)
N=${IMAGES:-64}; NPY=${PY_IMAGES:-16}
echo "== machine"; nproc; lscpu | grep -E "^Model name|^Socket|^Core|^Thread|^CPU\(s\)|^NUMA node\(s\)|MHz"; free -g | head -2; uptime; date -u
python3 -c "import onnxruntime as o, numpy as n; print('python onnxruntime', o.__version__, 'numpy', n.__version__)"
mkdir -p /tmp/x
tar xJf "$D/appS.tar.xz" -C /tmp/x 2>/dev/null || python3 -c "import tarfile; tarfile.open('$D/appS.tar.xz').extractall('/tmp/x')" || { echo "cannot unpack"; exit 1; }
A=/tmp/x/appS; export PATH=$A/bin:$PATH
echo "node $(node --version); unpacked after $(( $(date +%s) - t0 )) s"
python3 - "$N" <<'PY'
import numpy as np, os, sys
os.makedirs('/tmp/npy', exist_ok=True)
with open('/tmp/npy/list.txt', 'w') as f:
    for i in range(int(sys.argv[1])):
        p = f'/tmp/npy/r{i:03d}.npy'; np.save(p, np.random.default_rng(i).random((1, 3, 640, 640), dtype=np.float32)); f.write(p + '\n')
PY
F=$R/fixtures/yolov8n_fp32.onnx; Q=$A/extra/yolov8n_int8_qdq_entropy.onnx
ins() { head -$1 /tmp/npy/list.txt | sed 's/^/--input /'; }
# one timed run: label, images, command...; prints a parseable line
timed() { local label=$1 n=$2; shift 2; python3 - "$label" "$n" "$@" <<'PY'
import resource, subprocess, sys, time
label, n, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t0 = time.perf_counter()
with open('/tmp/o.txt', 'w') as out:
    rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"RESULT {label} images={n} wall_s={dt:.2f} img_per_s={n/dt:.3f} maxrss_mb={rss:.0f} rc={rc}", flush=True)
if rc: print(open('/tmp/o.txt').read()[-600:])
PY
}
TD="node $A/dist/cli/main.js run --fp32 $F --int8 $Q -q"
cores() { [ $1 = 1 ] && echo 0 || echo 0-$(( $1 - 1 )); }
echo "== warm-up (page cache, first-run effects): 2 images on 16 cores"
timed warmup 2 $TD $(ins 2) --json /tmp/w.json
node -e "const r=require('/tmp/w.json'); console.log(JSON.stringify(r.timing), r.candidates[0].summary?.compared ?? '')" 2>/dev/null
echo "== trt-diff --workers c --threads 1 (one single-threaded process per core), $N images"
for c in 1 2 4 8 16; do timed "workers c=$c" $N taskset -c $(cores $c) $TD $(ins $N) --workers $c --threads 1; done
echo "== trt-diff default (workers = cores/4, threads = cores/workers), $N images; elapsed $(( $(date +%s) - t0 )) s"
for c in 1 2 4 8 16; do timed "default c=$c" $N taskset -c $(cores $c) $TD $(ins $N); done
echo "== streamed script (python, one process, --threads c), $NPY images; elapsed $(( $(date +%s) - t0 )) s"
for c in 1 2 4 8 16; do
  timed "streamed c=$c" $NPY taskset -c $(cores $c) python3 $S/bench/streamed_script.py $F $Q /tmp/npy/list.txt $NPY --threads $c
  tail -1 /tmp/o.txt | cut -c1-300
done
if [ $(( $(date +%s) - t0 )) -lt ${REPEAT_BEFORE_S:-380} ]; then
  echo "== repeat: trt-diff --workers c --threads 1 at 1 and 16 cores; elapsed $(( $(date +%s) - t0 )) s"
  for c in 16 1; do timed "workers c=$c (repeat)" $N taskset -c $(cores $c) $TD $(ins $N) --workers $c --threads 1; done
fi
echo "== summary"
python3 - "$O/cpu.log" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"RESULT (\w+) c=(\d+)( \(repeat\))? images=(\d+) wall_s=([\d.]+) img_per_s=([\d.]+) maxrss_mb=(\d+) rc=(\d+)", line)
    if m and m.group(8) == '0':
        k = (m.group(1), int(m.group(2)))
        rows.setdefault(k, []).append(float(m.group(6)))
for mode in ('workers', 'default', 'streamed'):
    base = max(rows.get((mode, 1), [0])) or None
    print(f"{mode}: cores | best img/s (runs) | speed-up | efficiency")
    for c in (1, 2, 4, 8, 16):
        v = rows.get((mode, c))
        if not v: continue
        b = max(v)
        print(f"  {c:2d} | {b:.3f} ({', '.join(f'{x:.3f}' for x in v)}) | {b/base:.2f}x | {100*b/base/c:.0f}%" if base else f"  {c} | {b:.3f}")
PY
echo "== done after $(( $(date +%s) - t0 )) s"
