/**
 * Headline benchmark: trt-diff vs onnxruntime.quantization.qdq_loss_debug, layerwise YOLOv8n FP32 vs
 * the entropy-calibrated Q/DQ model, same machine, same invocation, same .npy inputs (trt-diff's own
 * letterbox, written once by make-npy-inputs.ts so image decoding is timed for neither tool).
 *
 *   npx tsc -p tsconfig.json && npx tsx bench/headline.ts [counts=8,32]
 *
 * qdq_loss_debug holds every activation of every image in memory (~0.75 GB per image here), so it
 * runs under the baseline memory limit (measure.ts, BASELINE_MEM_GB, default 16 GiB): where it
 * needs more, the row says it ran out of memory and after how long, rather than risking the
 * machine's other work.
 * Writes bench/results/headline.json and prints the markdown table for bench/README.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { failureNote, loadAverage, measure, underMemoryLimit, type Measured } from './measure.js';
import { ensureNpyInputs, FP32, INT8, NPY_LIST, OUT, ROOT } from './yolo-inputs.js';

const counts = (process.argv.slice(2).find((a) => /^\d+(,\d+)*$/.test(a)) ?? '8,32').split(',').map(Number);

const npys = ensureNpyInputs(Math.max(...counts));
const listFile = NPY_LIST;

interface Row { images: number; tool: string; wallS: number | null; peakRssMB: number | null; tensors: number | null; note: string }
const rows: Row[] = [];
for (const n of counts) {
  const json = path.join(OUT, `trtdiff-${n}.json`);
  const t: Measured = await measure(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'run', '--fp32', FP32, '--int8', INT8,
    ...npys.slice(0, n).flatMap((f) => ['--input', f]), '--json', json, '-q']);
  if (t.status !== 0) throw new Error(`trt-diff failed: ${t.stderr}`);
  const rep = JSON.parse(fs.readFileSync(json, 'utf8'));
  rows.push({ images: n, tool: 'trt-diff run', wallS: t.wallS, peakRssMB: t.peakRssMB, tensors: rep.candidates[0].summary.compared, note: `timing ${JSON.stringify(rep.timing)}` });
  console.error(`trt-diff ${n}: ${t.wallS.toFixed(1)} s, ${t.peakRssMB.toFixed(0)} MB`);
  const o = await measure(...underMemoryLimit('python3', [path.join(ROOT, 'bench/ort_qdq_loss_debug.py'), FP32, INT8, listFile, String(n)]), { ...process.env, PYTHONUNBUFFERED: '1' });
  if (o.status === 0) {
    const s = JSON.parse(o.stdout.trim().split('\n').pop()!);
    rows.push({ images: n, tool: 'qdq_loss_debug', wallS: o.wallS, peakRssMB: o.peakRssMB, tensors: s.compared, note: `seconds ${JSON.stringify(s.seconds)}` });
  } else {
    rows.push({ images: n, tool: 'qdq_loss_debug', wallS: null, peakRssMB: o.peakRssMB, tensors: null, note: `failed: ${failureNote(o.stderr, o.status, o.signal, o.wallS)}` });
  }
  console.error(`qdq_loss_debug ${n}: ${o.wallS.toFixed(1)} s, ${o.peakRssMB.toFixed(0)} MB${o.status === 0 ? '' : ` (${rows.at(-1)!.note})`}`);
}
const result = { machine: { cpus: (await import('node:os')).cpus().length, loadAverageAtEnd: loadAverage(), node: process.version }, rows };
fs.writeFileSync(path.join(OUT, 'headline.json'), JSON.stringify(result, null, 2));
console.log('| images | tool | wall s | peak RSS MB | tensors compared | speed-up | RSS ratio |');
console.log('|---:|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const base = rows.find((x) => x.images === r.images && x.tool === 'qdq_loss_debug' && x.wallS !== null);
  const mine = r.tool === 'trt-diff run' && base;
  console.log(`| ${r.images} | ${r.tool} | ${r.wallS?.toFixed(1) ?? '—'} | ${r.peakRssMB?.toFixed(0) ?? '—'} | ${r.tensors ?? '—'} | ${mine ? `${(base.wallS! / r.wallS!).toFixed(2)}x` : ''} | ${mine ? `${(r.peakRssMB! / base.peakRssMB!).toFixed(2)}x` : ''} |${r.note.startsWith('failed') ? ` ${r.note}` : ''}`);
}
