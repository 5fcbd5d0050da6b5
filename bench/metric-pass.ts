/**
 * Metric-pass throughput: GB/s of tensor pairs (bytes of both float32 arrays) folded by
 * accumulateArrays (src/compare/metrics.ts), next to a memcpy-style baseline in the same process
 * (Float32Array.set of both arrays into preallocated buffers), the native compareF32 when the addon
 * has been built, and a numpy Polygraphy-style multi-pass comparator (metric_pass_numpy.py) on the
 * same bytes, timed in the same invocation.
 *
 *   npx tsx bench/metric-pass.ts [millions of elements = 16] [repeats = 5]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { accumulateArrays, finalize, newAccumulator } from '../src/compare/metrics.js';
import { encodeNpy } from '../src/inputs/npy.js';
import { loadAverage } from './measure.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const OUT = path.join(ROOT, 'bench/results');
const n = Math.round(Number(process.argv[2] ?? 16) * 1e6);
const reps = Number(process.argv[3] ?? 5);

// Activation-like data: a ReLU'd mix of waves (a quarter zeros), and a fake-quantized copy (step 0.02).
const a = new Float32Array(n), b = new Float32Array(n);
let s = 12345;
for (let i = 0; i < n; i++) {
  s = (s * 1103515245 + 12345) >>> 0;
  const v = Math.sin(i * 0.001) * 2 + (s / 2 ** 32 - 0.5);
  a[i] = v > -0.5 ? v : 0;
  b[i] = Math.round(a[i]! / 0.02) * 0.02;
}
fs.mkdirSync(OUT, { recursive: true });
const fa = path.join(OUT, 'metric_a.npy'), fb = path.join(OUT, 'metric_b.npy');
fs.writeFileSync(fa, encodeNpy({ name: 'a', dtype: 'float32', shape: [n], data: a }));
fs.writeFileSync(fb, encodeNpy({ name: 'b', dtype: 'float32', shape: [n], data: b }));
const bytes = a.byteLength + b.byteLength;

function best(f: () => void): number {
  let t = Infinity;
  for (let r = 0; r < reps; r++) { const t0 = performance.now(); f(); t = Math.min(t, (performance.now() - t0) / 1000); }
  return t;
}
const rows: { what: string; gbps: number; note?: string }[] = [];
const ca = new Float32Array(n), cb = new Float32Array(n);
const tMem = best(() => { ca.set(a); cb.set(b); });
rows.push({ what: 'memcpy (Float32Array.set, both arrays)', gbps: bytes / tMem / 1e9 });
let metrics = finalize(newAccumulator());
const tTs = best(() => { metrics = finalize(accumulateArrays(newAccumulator(), a, b)); });
rows.push({ what: 'trt-diff accumulateArrays (TS, one pass, FP64 sums)', gbps: bytes / tTs / 1e9 });

const addonPath = path.join(ROOT, 'dist/native/addon.js');
const built = fs.existsSync(path.join(ROOT, 'build/Release')) && fs.readdirSync(path.join(ROOT, 'build/Release')).some((f) => f.endsWith('.node'));
if (built && fs.existsSync(addonPath)) {
  const { loadNative } = await import(addonPath) as { loadNative: () => { addon?: { compareF32?: (x: Float32Array, y: Float32Array) => unknown } } };
  const addon = loadNative().addon;
  if (addon?.compareF32) { const t = best(() => { addon.compareF32!(a, b); }); rows.push({ what: 'native compareF32 (C++ addon, CPU)', gbps: bytes / t / 1e9 }); }
} else {
  rows.push({ what: 'native compareF32 (C++ addon, CPU)', gbps: NaN, note: 'not measured: `npm run build:native` has not produced build/Release/*.node' });
}
const py = spawnSync('python3', [path.join(ROOT, 'bench/metric_pass_numpy.py'), fa, fb, String(reps)], { encoding: 'utf8' });
if (py.status !== 0) throw new Error(py.stderr);
const np = JSON.parse(py.stdout.trim().split('\n').pop()!);
rows.push({ what: 'numpy, Polygraphy-style (one pass per metric)', gbps: np.gbps });

const ts = rows[1]!.gbps;
const result = { elements: n, bytes, repeats: reps, loadAverageAtEnd: loadAverage(), rows, check: { ts: { maxAbs: metrics.maxAbs, sqnrDb: metrics.sqnrDb, cosine: metrics.cosine }, numpy: np.metrics } };
fs.writeFileSync(path.join(OUT, 'metric-pass.json'), JSON.stringify(result, null, 2));
fs.rmSync(fa); fs.rmSync(fb);
console.log(`| pass (${(n / 1e6).toFixed(0)}M float32 pairs, best of ${reps}) | GB/s | trt-diff TS relative |`);
console.log('|---|---:|---:|');
for (const r of rows) console.log(`| ${r.what} | ${Number.isNaN(r.gbps) ? '—' : r.gbps.toFixed(2)} | ${Number.isNaN(r.gbps) ? r.note : `${(ts / r.gbps).toFixed(2)}x`} |`);
console.log(`metrics agree: TS sqnr ${metrics.sqnrDb.toFixed(6)} dB vs numpy ${Number(np.metrics.sqnr_db).toFixed(6)} dB`);
