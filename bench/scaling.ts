/**
 * Scaling of trt-diff run: wall time and peak RSS against the number of images (YOLOv8n FP32 vs
 * entropy Q/DQ, .npy inputs from make-npy-inputs.ts) and against activation size (synthetic chain
 * models from test/robustness/fixtures.ts: [1, n] tensors, 10 elementwise links, FP32 vs Q/DQ),
 * with and without --max-memory grouping, and against input size (YOLOv8n at 320/640/1280, made
 * by make_yolo_sizes.py from the 640 exports; 8 coco128 val2017 JPEGs, letterboxed by trt-diff to
 * each size, so decoding is included here).
 *
 *   npx tsc -p tsconfig.json && npx tsx bench/scaling.ts [images=1,8,32,128] [chainM=1,4,16] [sizes=320,640,1280]
 *   ("-" skips a table)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chainPair } from '../test/robustness/fixtures.js';
import { loadAverage, measure } from './measure.js';
import { DATA, ensureNpyInputs, FP32, INT8, OUT, ROOT } from './yolo-inputs.js';

/** A comma list of numbers; "-" skips that table. */
const list = (arg: string | undefined, def: string): number[] => (arg === '-' ? [] : (arg ?? def).split(',').map(Number));
const counts = list(process.argv[2], '1,8,32,128');
const chainM = list(process.argv[3], '1,4,16');
const sizes = list(process.argv[4], '320,640,1280');
const CLI = path.join(ROOT, 'dist/cli/main.js');

const npys = counts.length > 0 ? ensureNpyInputs(Math.max(...counts)) : [];

const images: { images: number; wallS: number; perImageS: number; peakRssMB: number; runMs: number; compareMs: number }[] = [];
for (const n of counts) {
  const json = path.join(OUT, `scaling-${n}.json`);
  const r = await measure(process.execPath, [CLI, 'run', '--fp32', FP32, '--int8', INT8, ...npys.slice(0, n).flatMap((f) => ['--input', f]), '--json', json, '-q']);
  if (r.status !== 0) throw new Error(r.stderr);
  const t = JSON.parse(fs.readFileSync(json, 'utf8')).timing;
  images.push({ images: n, wallS: r.wallS, perImageS: r.wallS / n, peakRssMB: r.peakRssMB, runMs: t.runMs, compareMs: t.compareMs });
  console.error(`images ${n}: ${r.wallS.toFixed(1)} s, ${r.peakRssMB.toFixed(0)} MB`);
}

const chainDir = path.join(OUT, 'chains');
fs.mkdirSync(chainDir, { recursive: true });
const chains: { elementsM: number; activationMB: number; maxMemory: string; wallS: number; peakRssMB: number }[] = [];
for (const m of chainM) {
  const n = Math.round(m * 1e6);
  const pair = chainPair(chainDir, n, 10);
  for (const mm of [undefined, 64]) {
    const r = await measure(process.execPath, [CLI, 'run', '--fp32', pair.fp32, '--int8', pair.int8, '--input', 'random:1', '-q', ...(mm ? ['--max-memory', String(mm)] : [])]);
    if (r.status !== 0) throw new Error(r.stderr);
    chains.push({ elementsM: m, activationMB: (2 * 12 * n * 4) / 1e6, maxMemory: mm ? `${mm} MB` : 'none', wallS: r.wallS, peakRssMB: r.peakRssMB });
    console.error(`chain ${m}M ${mm ?? '-'}: ${r.wallS.toFixed(1)} s, ${r.peakRssMB.toFixed(0)} MB`);
  }
}
fs.rmSync(chainDir, { recursive: true, force: true });

const modelDir = path.join(OUT, 'models');
const made = spawnSync('python3', [path.join(ROOT, 'bench/make_yolo_sizes.py'), modelDir, sizes.join(',')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (made.status !== 0) throw new Error('make_yolo_sizes.py failed');
const valDir = path.join(DATA, 'coco128/images/val2017');
const jpegs = fs.readdirSync(valDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 8).map((f) => path.join(valDir, f));
const bySize: { size: number; tensors: number; activationMB: number; wallS: number; peakRssMB: number; runMs: number; compareMs: number }[] = [];
for (const size of sizes) {
  const json = path.join(OUT, `scaling-size-${size}.json`);
  const r = await measure(process.execPath, [CLI, 'run', '--fp32', path.join(modelDir, `yolov8n_${size}_fp32.onnx`), '--int8', path.join(modelDir, `yolov8n_${size}_int8.onnx`),
    ...jpegs.flatMap((f) => ['--input', f]), '--json', json, '-q']);
  if (r.status !== 0) throw new Error(r.stderr);
  const rep = JSON.parse(fs.readFileSync(json, 'utf8'));
  const rows = rep.candidates[0].rows as { shape: number[] }[];
  const elements = rows.reduce((a, row) => a + row.shape.reduce((x, d) => x * d, 1), 0);
  bySize.push({ size, tensors: rows.length, activationMB: (2 * elements * 4) / 1e6, wallS: r.wallS, peakRssMB: r.peakRssMB, runMs: rep.timing.runMs, compareMs: rep.timing.compareMs });
  console.error(`size ${size}: ${r.wallS.toFixed(1)} s, ${r.peakRssMB.toFixed(0)} MB`);
}
fs.writeFileSync(path.join(OUT, 'scaling.json'), JSON.stringify({ loadAverageAtEnd: loadAverage(), images, chains, bySize }, null, 2));
console.log('| images | wall s | s / image | peak RSS MB | ORT run s | metric pass s |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of images) console.log(`| ${r.images} | ${r.wallS.toFixed(1)} | ${r.perImageS.toFixed(2)} | ${r.peakRssMB.toFixed(0)} | ${(r.runMs / 1000).toFixed(1)} | ${(r.compareMs / 1000).toFixed(1)} |`);
console.log('\n| chain tensor (M elements) | activations per sample, both models (MB) | --max-memory | wall s | peak RSS MB |');
console.log('|---:|---:|---|---:|---:|');
for (const r of chains) console.log(`| ${r.elementsM} | ${r.activationMB.toFixed(0)} | ${r.maxMemory} | ${r.wallS.toFixed(1)} | ${r.peakRssMB.toFixed(0)} |`);
console.log('\n| input | tensors compared | activations per image, both models (MB) | wall s (8 images) | peak RSS MB | ORT run s | metric pass s |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of bySize) console.log(`| ${r.size} | ${r.tensors} | ${r.activationMB.toFixed(0)} | ${r.wallS.toFixed(1)} | ${r.peakRssMB.toFixed(0)} | ${(r.runMs / 1000).toFixed(1)} | ${(r.compareMs / 1000).toFixed(1)} |`);
