import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareModels } from '../../src/compare/compare-models.js';
import { compareSourceFiles } from '../../src/compare/compare-dumps.js';
import { saveModel, loadModel } from '../../src/graph/onnx-model.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { compareTensors } from '../../src/compare/metrics.js';
import { buildReport } from '../../src/report/report.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { YOLO, hasShared, pythonWith, tmpDir } from '../helpers/paths.js';

/** numpy-free reference of ONNX QuantizeLinear→DequantizeLinear (int8, zero point 0, round half to even). */
function fakeQuant(x: number, s: number): number {
  const v = x / s;
  const r = Math.round(v);
  const even = Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
  return Math.fround(Math.min(127, Math.max(-128, even)) * s);
}

describe('compareModels on a hand-checkable Q/DQ pair', () => {
  it('matches metrics computed from the closed-form fake-quantized values', async () => {
    const dir = tmpDir();
    const s = 0.05;
    const { fp32, int8 } = affineReluModels(s);
    saveModel(fp32, path.join(dir, 'f.onnx'));
    saveModel(int8, path.join(dir, 'q.onnx'));
    const x = Float32Array.from([0.123, -0.4, 1.337, 0.051]);
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ name: 'x', dtype: 'float32', shape: [1, 4], data: x }));
    const r = await compareModels(loadModel(path.join(dir, 'f.onnx')), [loadModel(path.join(dir, 'q.onnx'))], { inputs: [path.join(dir, 'x.npy')] });
    const rec = new Map(r.candidates[0]!.records.map((x) => [x.name, x]));
    expect([...rec.keys()]).toEqual(['x', 'h', 'a', 'y']);
    // Model hashes identify the files read (sha256 of the bytes on disk, computed here directly).
    const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
    expect([r.fp32.sha256, r.candidates[0]!.model.sha256]).toEqual([sha('f.onnx'), sha('q.onnx')]);
    // Reference: the INT8 graph evaluated by hand.
    const xq = Array.from(x, (v) => fakeQuant(v, s));
    const h = Array.from(x, (v) => Math.fround(v * 2)), hq = xq.map((v) => fakeQuant(Math.fround(v * 2), s));
    const a = h.map((v) => Math.fround(v + 1)), aq = hq.map((v) => fakeQuant(Math.fround(v + 1), s));
    const f = (v: number[]) => ({ name: 't', dtype: 'float32' as const, shape: [4], data: Float32Array.from(v) });
    expect(rec.get('h')!.metrics.sqnrDb).toBeCloseTo(compareTensors(f(h), f(hq)).sqnrDb, 5);
    expect(rec.get('a')!.metrics.maxAbs).toBeCloseTo(compareTensors(f(a), f(aq)).maxAbs, 6);
    expect(rec.get('a')!.int8Kind).toBe('dequantized');
    expect(rec.get('a')!.scale).toBeCloseTo(s, 7);
    expect(r.candidates[0]!.perturbation).toEqual([{ output: 'y', maxAbs: 0, sqnrDb: Infinity }]);
  });
});

describe.skipIf(!hasShared)('YOLOv8n FP32 vs INT8 Q/DQ (entropy) on bus.jpg', () => {
  const dir = hasShared ? tmpDir() : '';
  let report: ReturnType<typeof buildReport>;

  it('compares ≥ 200 tensor pairs in topological order, names a first divergence, writes two dumps', async () => {
    const result = await compareModels(loadModel(YOLO.fp32), [loadModel(YOLO.entropy)], { inputs: [YOLO.bus], dumpDir: dir });
    report = buildReport(result, undefined, ['output0']);
    const c = report.candidates[0]!;
    expect(c.rows.length).toBeGreaterThanOrEqual(200);
    const orders = c.rows.map((r) => r.order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(c.firstDivergence).not.toBeNull();
    expect(c.rows.map((r) => r.name)).toContain(c.firstDivergence!.tensor);
    expect(c.summary.outputSqnrDb.output0).toBeGreaterThan(10);
    expect(fs.readdirSync(dir).sort()).toEqual(['fp32.arrow', 'int8.arrow']);
  });

  const py = pythonWith('pyarrow', 'numpy', 'onnxruntime');
  if (!py.ok) console.log(`skipping the pyarrow/onnxruntime-python check: ${py.reason}`);
  it.skipIf(!py.ok)('pyarrow opens both dumps, and output0 in the dump equals onnxruntime-python on the same input', () => {
    const script = `
import sys, numpy as np, pyarrow as pa, onnxruntime as ort
d = {}
for role in ("fp32", "int8"):
    t = pa.ipc.open_file(sys.argv[1] + "/" + role + ".arrow").read_all()
    d[role] = {(s, n): (dt, sh, b) for s, n, dt, sh, b in zip(*[t.column(c).to_pylist() for c in ("sample", "name", "dtype", "shape", "data")])}
s = next(iter(d["fp32"]))[0]
dt, sh, b = d["fp32"][(s, "images")]
x = np.frombuffer(b, dtype=np.float32).reshape(sh)
ref = ort.InferenceSession(sys.argv[2], providers=["CPUExecutionProvider"]).run(["output0"], {"images": x})[0]
dt, sh, b = d["fp32"][(s, "output0")]
got = np.frombuffer(b, dtype=np.float32).reshape(sh)
print(len(d["fp32"]), len(d["int8"]), float(np.abs(ref - got).max()))
`;
    const r = spawnSync('python3', ['-c', script, dir, YOLO.fp32], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const [nRef, nTest, diff] = r.stdout.trim().split(' ').map(Number);
    expect(nRef).toBeGreaterThanOrEqual(200);
    expect(nTest).toBeGreaterThanOrEqual(200);
    expect(diff).toBeLessThan(1e-3);
  });

  it('compare of the two dumps reproduces the live metrics', async () => {
    const offline = await compareSourceFiles(path.join(dir, 'fp32.arrow'), [path.join(dir, 'int8.arrow')]);
    const live = new Map(report.candidates[0]!.rows.map((r) => [r.name, r.metrics.sqnrDb]));
    const recs = offline.candidates[0]!.records;
    expect(recs.length).toBe(live.size);
    for (const r of recs) expect(r.metrics.sqnrDb).toBeCloseTo(live.get(r.name)!, 9);
  });
});
