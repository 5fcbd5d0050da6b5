/**
 * Headline benchmark: trt-diff against what a practitioner would run instead, layerwise YOLOv8n FP32
 * vs the entropy-calibrated Q/DQ model, same machine, same invocation, same .npy inputs (trt-diff's
 * own letterbox, written once by make-npy-inputs.ts so image decoding is timed for no tool):
 *
 *   - streamed script (bench/streamed_script.py): qdq_loss_debug-augmented models run image by
 *     image, SQNR sums in numpy, nothing held across images
 *   - inference floor (streamed_script.py --floor): the same two sessions, outputs discarded
 *   - optionally (--qdq-loss-debug) onnxruntime's qdq_loss_debug workflow, which holds every
 *     activation of every image (~0.75 GB each), under the baseline memory limit (measure.ts)
 *
 * Tools run alternately at each count (trt-diff, script, floor, ...), `rounds` times, so that other
 * load on the machine hits all alike; the table gives the best of the rounds and ratios to trt-diff.
 * Per-image slope and fixed cost come from the first and last counts.
 *
 *   npx tsc -p tsconfig.json && npx tsx bench/headline.ts [counts=8,32] [rounds=2] [--qdq-loss-debug]
 * Writes bench/results/headline.json and prints the markdown table for bench/README.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { failureNote, loadAverage, measure, underMemoryLimit } from './measure.js';
import { ensureNpyInputs, FP32, INT8, NPY_LIST, OUT, ROOT } from './yolo-inputs.js';

const args = process.argv.slice(2);
const nums = args.filter((a) => /^\d+(,\d+)*$/.test(a));
const counts = (nums[0] ?? '8,32').split(',').map(Number);
const rounds = Number(nums[1] ?? 2);
const withQdqLossDebug = args.includes('--qdq-loss-debug');

const npys = ensureNpyInputs(Math.max(...counts));
const py = { ...process.env, PYTHONUNBUFFERED: '1' };
const SCRIPT = path.join(ROOT, 'bench/streamed_script.py');

interface Tool { name: string; run(n: number): Promise<{ wallS: number | null; peakRssMB: number; note: string }> }
const trtdiff = (name: string, extra: string[], env: NodeJS.ProcessEnv = process.env): Tool => ({
  name,
  async run(n) {
    const json = path.join(OUT, `trtdiff-${n}.json`);
    const t = await measure(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'run', '--fp32', FP32, '--int8', INT8,
      ...npys.slice(0, n).flatMap((f) => ['--input', f]), ...extra, '--json', json, '-q'], env);
    if (t.status !== 0) throw new Error(`trt-diff failed: ${t.stderr}`);
    const rep = JSON.parse(fs.readFileSync(json, 'utf8'));
    return { wallS: t.wallS, peakRssMB: t.peakRssMB, note: `${rep.candidates[0].summary.compared} tensors; timing ${JSON.stringify(rep.timing)}` };
  },
});
const python = (name: string, script: string, extra: string[], limit = false, env = py): Tool => ({
  name,
  async run(n) {
    const argv = [script, FP32, INT8, NPY_LIST, String(n), ...extra];
    const o = limit ? await measure(...underMemoryLimit('python3', argv), env) : await measure('python3', argv, env);
    if (o.status !== 0) return { wallS: null, peakRssMB: o.peakRssMB, note: `failed: ${failureNote(o.stderr, o.status, o.signal, o.wallS)}` };
    const s = JSON.parse(o.stdout.trim().split('\n').pop()!);
    return { wallS: o.wallS, peakRssMB: o.peakRssMB, note: `${s.compared} tensors; seconds ${JSON.stringify(s.seconds)}` };
  },
});

// trt-diff relaunches itself with glibc's huge-page tunable (src/cli/huge-pages.ts); the floor is
// also measured with it, so that the ratio to the floor is not the tunable's alone, and trt-diff
// without it (TRTDIFF_HUGEPAGES=0) shows what the tunable is worth.
const HUGE = { ...py, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };
const tools: Tool[] = [
  trtdiff('trt-diff run', []),
  python('streamed script', SCRIPT, []),
  trtdiff('trt-diff run --workers 2', ['--workers', '2']),
  python('inference floor', SCRIPT, ['--floor']),
  python('inference floor, huge pages', SCRIPT, ['--floor'], false, HUGE),
  trtdiff('trt-diff run, TRTDIFF_HUGEPAGES=0', [], { ...process.env, TRTDIFF_HUGEPAGES: '0' }),
  ...(withQdqLossDebug ? [python('qdq_loss_debug', path.join(ROOT, 'bench/ort_qdq_loss_debug.py'), [], true)] : []),
];

interface Row { images: number; tool: string; wallS: number | null; peakRssMB: number; note: string; all: (number | null)[] }
const rows: Row[] = [];
const loads: string[] = [loadAverage()];
for (const n of counts) {
  const best = new Map<string, Row>();
  for (let r = 0; r < rounds; r++) {
    for (const tool of tools) {
      const m = await tool.run(n);
      console.error(`${n} images, round ${r + 1}: ${tool.name} ${m.wallS?.toFixed(2) ?? 'failed'} s, ${m.peakRssMB.toFixed(0)} MB`);
      const b = best.get(tool.name);
      const all = [...(b?.all ?? []), m.wallS];
      if (!b || (m.wallS !== null && (b.wallS === null || m.wallS < b.wallS))) best.set(tool.name, { images: n, tool: tool.name, ...m, all });
      else b.all = all;
    }
  }
  rows.push(...best.values());
  loads.push(loadAverage());
}

const result = { machine: { cpus: os.availableParallelism(), loadAverages: loads, node: process.version, date: new Date().toISOString() }, rounds, rows };
fs.writeFileSync(path.join(OUT, 'headline.json'), JSON.stringify(result, null, 2));
const of = (n: number, tool: string) => rows.find((x) => x.images === n && x.tool === tool)?.wallS ?? null;
console.log(`${os.availableParallelism()} cores, load average ${loads.join(' → ')}, best of ${rounds} alternating rounds\n`);
console.log('| images | tool | wall s (best) | all rounds | peak RSS MB | trt-diff is faster by | trt-diff / floor | trt-diff / floor with huge pages |');
console.log('|---:|---|---:|---|---:|---:|---:|---:|');
for (const r of rows) {
  const mine = of(r.images, 'trt-diff run');
  const floor = of(r.images, 'inference floor');
  const hugeFloor = of(r.images, 'inference floor, huge pages');
  const isMine = r.tool.startsWith('trt-diff');
  const speed = !isMine && r.wallS && mine ? `${(r.wallS / mine).toFixed(2)}x` : '';
  const ratio = (f: number | null) => (isMine && r.wallS && f ? `${(r.wallS / f).toFixed(2)}x` : '');
  console.log(`| ${r.images} | ${r.tool} | ${r.wallS?.toFixed(2) ?? '—'} | ${r.all.map((x) => x?.toFixed(1) ?? '—').join(', ')} | ${r.peakRssMB.toFixed(0)} | ${speed} | ${ratio(floor)} | ${ratio(hugeFloor)} |${r.note.startsWith('failed') ? ` ${r.note}` : ''}`);
}
if (counts.length >= 2) {
  const [lo, hi] = [counts[0]!, counts.at(-1)!];
  console.log('\n| tool | per image s (slope) | fixed s |');
  console.log('|---|---:|---:|');
  for (const t of tools) {
    const a = of(lo, t.name), b = of(hi, t.name);
    if (a === null || b === null) continue;
    const slope = (b - a) / (hi - lo);
    console.log(`| ${t.name} | ${slope.toFixed(3)} | ${(a - slope * lo).toFixed(2)} |`);
  }
}
