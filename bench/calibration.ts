/**
 * Calibration time per calibrator on YOLOv8n, against onnxruntime-python's quantize_static
 * (Entropy, MinMax) on the same machine and the same inputs.
 *
 *   npx tsx bench/calibration.ts [--images 128] [--model PATH] [--write-readme]
 *
 * Images are letterboxed once into .npy files first, and both sides calibrate from those files, so
 * neither side's timing includes JPEG decoding. trt-diff's figure per calibrator is a full
 * `calibrate` pass (activation collection with the statistics that calibrator needs, then the
 * threshold search); "all (one pass)" is what `trt-diff calibrators` does: one collection, four
 * calibrators derived. Results go to bench/results/calibration.json; --write-readme also rewrites
 * bench/results/calibration.md (paste into bench/README.md, section 6).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/graph/onnx-model.js';
import { writeFileAtomic } from '../src/output/output-session.js';
import { samplesFrom } from '../src/inputs/input-source.js';
import { encodeNpy } from '../src/inputs/npy.js';
import { OrtRunner } from '../src/runners/ort-runner.js';
import { calibrateModel } from '../src/quant/calibration-pipeline.js';
import { CALIBRATORS, type CalibratorName } from '../src/quant/calibrators.js';
import { failureNote, underMemoryLimit } from './measure.js';
import { loadNative } from '../src/native/addon.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const nImages = Number(arg('images', '128'));
const modelPath = path.resolve(arg('model', path.join(root, '../shared/data/yolov8n/yolov8n_fp32.onnx')));
const imageDir = path.resolve(arg('image-dir', path.join(root, '../shared/data/coco128/images/train2017')));
const batch = Number(arg('batch', '8'));

// As the CLI does at start (src/cli/main.ts): keep freed heap memory for the next image.
loadNative().addon?.retainFreedMemory();
const model = loadModel(modelPath);
const npyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-bench-cal-'));
try {
  // 1. Letterbox once; both sides read these arrays.
  const probe = await OrtRunner.open(model);
  const inputs = probe.describe().inputs;
  await probe.close();
  const files: string[] = [];
  for await (const s of samplesFrom([imageDir], inputs, { maxSamples: nImages })) {
    const f = path.join(npyDir, `${String(files.length).padStart(4, '0')}.npy`);
    fs.writeFileSync(f, encodeNpy(Object.values(s.feeds)[0]!));
    files.push(`${inputs[0]!.name}=${f}`);
  }

  // 2. trt-diff, one calibrator at a time, then all in one pass.
  const rows: { tool: string; calibrator: string; seconds: number; collectS?: number; deriveS?: number; failed?: string }[] = [];
  const runs: [string, CalibratorName[]][] = [...CALIBRATORS.map((c) => [c, [c]] as [string, CalibratorName[]]), ['all (one pass)', [...CALIBRATORS]]];
  for (const [label, cals] of runs) {
    const t = performance.now();
    const cal = await calibrateModel(model, files, cals, { batch });
    const seconds = (performance.now() - t) / 1000;
    const deriveS = [...cal.deriveMs.values()].reduce((a, b) => a + b, 0) / 1000;
    rows.push({ tool: 'trt-diff', calibrator: label, seconds, collectS: cal.collected.timing.totalMs / 1000, deriveS });
    console.error(`trt-diff ${label}: ${seconds.toFixed(1)} s`);
  }

  // 3. onnxruntime-python quantize_static on the same arrays.
  // Each method in its own process under the baseline memory limit (measure.ts): quantize_static
  // keeps every activation of every image, and at 128 images its Entropy run grew past this
  // machine's 24 GB and was OOM-killed, taking the whole benchmark with it.
  const baseline: { onnxruntime: string; results: { method: string; seconds: number; failed?: string }[] } = { onnxruntime: '', results: [] };
  for (const method of ['Entropy', 'MinMax']) {
    const script = [path.join(here, 'quantize_static_baseline.py'), '--model', modelPath, '--npy-dir', npyDir, '--methods', method];
    const t = performance.now();
    const py = spawnSync(...underMemoryLimit('python3', script), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
    if (py.status === 0) {
      const out = JSON.parse(py.stdout.trim().split('\n').pop()!) as { onnxruntime: string; results: { method: string; seconds: number }[] };
      baseline.onnxruntime = out.onnxruntime;
      baseline.results.push(...out.results);
    } else {
      const failed = failureNote(py.stderr, py.status, py.signal, (performance.now() - t) / 1000);
      baseline.results.push({ method, seconds: NaN, failed });
    }
    console.error(`onnxruntime quantize_static ${method}: ${baseline.results.at(-1)!.failed ?? `${baseline.results.at(-1)!.seconds.toFixed(1)} s`}`);
  }
  for (const r of baseline.results) rows.push({ tool: `onnxruntime ${baseline.onnxruntime} quantize_static`, calibrator: r.method, seconds: r.seconds, ...(r.failed ? { failed: r.failed } : {}) });

  const ortOf = (m: string) => { const v = baseline.results.find((r) => r.method === m)?.seconds; return v !== undefined && Number.isFinite(v) ? v : undefined; };
  const pairs: [string, string][] = [['entropy2', 'Entropy'], ['entropy', 'Entropy'], ['minmax', 'MinMax'], ['percentile', 'Entropy'], ['all (one pass)', 'Entropy']];
  const env = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const lines = [
    '# Calibration benchmark',
    '',
    `\`npx tsx bench/calibration.ts --images ${nImages}\` — YOLOv8n (${path.basename(modelPath)}), ${nImages} coco128 train2017 images`,
    `letterboxed once to .npy (decoding excluded on both sides), batch ${batch}; ${env}.`,
    '',
    '| tool | calibrator | seconds | of which collection | threshold search | ratio to ORT |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const pair = pairs.find((p) => p[0] === r.calibrator);
      const ref = r.tool === 'trt-diff' && pair ? ortOf(pair[1]) : undefined;
      const ratio = ref ? `${(r.seconds / ref).toFixed(2)} × ORT ${pair![1]}` : '';
      const secs = r.failed ? `failed: ${r.failed}` : r.seconds.toFixed(1);
      return `| ${r.tool} | ${r.calibrator} | ${secs} | ${r.collectS?.toFixed(1) ?? ''} | ${r.deriveS?.toFixed(1) ?? ''} | ${ratio} |`;
    }),
    '',
    'Ratio < 1: trt-diff is faster. quantize_static times include its own calibration run and writing the',
    'Q/DQ model; trt-diff per-calibrator times cover activation collection and the threshold search',
    '(writing the cache and Q/DQ model adds about a second).',
    '',
  ];
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileAtomic(path.join(here, 'results/calibration.json'), JSON.stringify({ images: nImages, batch, env, rows, baseline }, null, 2));
  if (process.argv.includes('--write-readme')) writeFileAtomic(path.join(here, 'results/calibration.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
} finally {
  fs.rmSync(npyDir, { recursive: true, force: true });
}
