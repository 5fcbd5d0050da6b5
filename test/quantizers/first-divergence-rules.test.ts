import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelProto, NodeProto } from 'onnx-buf';
import { compareModels, type TensorRecord } from '../../src/compare/compare-models.js';
import { saveModel, loadModel } from '../../src/graph/onnx-model.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { buildReport } from '../../src/report/report.js';
import { renderSummary } from '../../src/report/table.js';
import { firstDivergence } from '../../src/analysis/first-divergence.js';
import { floatTensor, int8Tensor, model, node, valueInfo } from '../helpers/onnx-builder.js';
import { fakeQuant, sqnrOf } from '../localize/synthetic.js';
import { tmpDir } from '../helpers/paths.js';

/**
 * The accumulated-mode "made here" rule (SQNR < 20 dB and ≥ 3 dB below the worst input) on Q/DQ
 * models whose every tensor is computable by hand: which tensor makes the error and which inherit
 * it is known before the code runs, and every SQNR is checked against the closed form.
 */
const N = 64;
const X = Array.from({ length: N }, (_, i) => Math.fround(((i * 37) % N) / N + 0.013)); // [0.013, 1)

const qdq = (t: string, s: string, out = `${t}_DequantizeLinear_Output`): NodeProto[] => [
  node('QuantizeLinear', [t, s, 'zp'], [`${t}_QuantizeLinear_Output`], {}, `${t}_QuantizeLinear`),
  node('DequantizeLinear', [`${t}_QuantizeLinear_Output`, s, 'zp'], [out], {}, `${t}_DequantizeLinear`),
];

async function compare(fp32: ModelProto, int8: ModelProto): Promise<Map<string, TensorRecord>> {
  const dir = tmpDir();
  saveModel(fp32, path.join(dir, 'f.onnx'));
  saveModel(int8, path.join(dir, 'q.onnx'));
  fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ name: 'x', dtype: 'float32', shape: [1, N], data: Float32Array.from(X) }));
  const r = await compareModels(loadModel(path.join(dir, 'f.onnx')), [loadModel(path.join(dir, 'q.onnx'))], { inputs: [path.join(dir, 'x.npy')] });
  return new Map(r.candidates[0]!.records.map((t) => [t.name, t]));
}

describe('first divergence: made here vs inherited, closed form', () => {
  // FP32: x → ·1 "A" → a → ·1 "B" → b → ·2 "C" → c → (+ a) "D" → d
  // INT8: x, a quantized finely (s = 1/128), d (range 0..3) at 1/32; b coarsely (s = 1/4): b makes the error; c = 2·b′ inherits
  // it exactly (·2 is exact in float); d = c + a′ carries it, diluted by the clean a.
  const FINE = 1 / 128, COARSE = 1 / 4, MID = 1 / 32;
  const inits = [floatTensor('one', [], [1]), floatTensor('two', [], [2])];
  const fp32 = model({
    nodes: [node('Mul', ['x', 'one'], ['a'], {}, 'A'), node('Mul', ['a', 'one'], ['b'], {}, 'B'), node('Mul', ['b', 'two'], ['c'], {}, 'C'), node('Add', ['c', 'a'], ['d'], {}, 'D')],
    inputs: [valueInfo('x', [1, N])], outputs: [valueInfo('d', [1, N])], initializers: inits,
  });
  const int8 = model({
    nodes: [
      ...qdq('x', 'fine'),
      node('Mul', ['x_DequantizeLinear_Output', 'one'], ['a'], {}, 'A'), ...qdq('a', 'fine'),
      node('Mul', ['a_DequantizeLinear_Output', 'one'], ['b'], {}, 'B'), ...qdq('b', 'coarse'),
      node('Mul', ['b_DequantizeLinear_Output', 'two'], ['c'], {}, 'C'),
      node('Add', ['c', 'a_DequantizeLinear_Output'], ['d_QuantizeLinear_Input'], {}, 'D'), ...qdq('d_QuantizeLinear_Input', 'mid', 'd'),
    ],
    inputs: [valueInfo('x', [1, N])], outputs: [valueInfo('d', [1, N])],
    initializers: [...inits, floatTensor('fine', [], [FINE]), floatTensor('coarse', [], [COARSE]), floatTensor('mid', [], [MID]), int8Tensor('zp', [], [0])],
  });
  // By hand.
  const xq = X.map((v) => fakeQuant(v, FINE));
  const aq = xq.map((v) => fakeQuant(v, FINE));
  const bq = aq.map((v) => fakeQuant(v, COARSE));
  const cq = bq.map((v) => Math.fround(v * 2));
  const dq = cq.map((v, i) => fakeQuant(Math.fround(v + aq[i]!), MID));
  const ref = { x: X, a: X, b: X, c: X.map((v) => Math.fround(v * 2)), d: X.map((v) => Math.fround(Math.fround(v * 2) + v)) };
  const expected = { x: sqnrOf(ref.x, xq), a: sqnrOf(ref.a, aq), b: sqnrOf(ref.b, bq), c: sqnrOf(ref.c, cq), d: sqnrOf(ref.d, dq) };

  it('every SQNR is the closed form; b is made here, c inherits it, d is diluted back above 20 dB', async () => {
    // Preconditions of the construction, from the closed form alone.
    expect(expected.b).toBeLessThan(20);
    expect(expected.a - expected.b).toBeGreaterThan(3);
    expect(Math.abs(expected.c - expected.b)).toBeLessThan(1e-9);
    expect(expected.d).toBeGreaterThan(20); // the clean a dilutes the inherited error back above the threshold

    const rec = await compare(fp32, int8);
    for (const [name, db] of Object.entries(expected)) expect(rec.get(name)!.metrics.sqnrDb, name).toBeCloseTo(db, 3);
    const fd = firstDivergence([...rec.values()])!;
    expect(fd.tensor).toBe('b');
    expect(fd.dropDb!).toBeCloseTo(expected.a - expected.b, 3);
    expect(fd.inputSqnrDb!).toBeCloseTo(expected.a, 3);

    const report = buildReport({ fp32: { path: 'f.onnx', sha256: '', backend: 'ort' }, samples: ['x'], timing: { totalMs: 0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 },
      candidates: [{ model: { path: 'q.onnx', sha256: '', backend: 'ort' }, records: [...rec.values()], skipped: [], unmatched: { fp32: [], int8: [] }, perturbation: [] }] }, undefined, ['d']);
    const origin = Object.fromEntries(report.candidates[0]!.rows.map((r) => [r.name, r.origin]));
    expect(origin).toEqual({ x: 'input', a: 'ok', b: 'made here', c: 'inherited', d: 'ok' });
    expect(report.candidates[0]!.accumulation).toBeNull();
  });

  it('raising the drop threshold above the closed-form drop of b leaves no divergence; lowering the SQNR threshold below it too', async () => {
    const rec = [...(await compare(fp32, int8)).values()];
    const drop = expected.a - expected.b;
    expect(firstDivergence(rec, { sqnrThresholdDb: 20, dropDb: drop + 0.01, cosineThreshold: 0, use: 'accumulated' })).toBeNull();
    expect(firstDivergence(rec, { sqnrThresholdDb: 20, dropDb: drop - 0.01, cosineThreshold: 0, use: 'accumulated' })!.tensor).toBe('b');
    expect(firstDivergence(rec, { sqnrThresholdDb: expected.b - 0.01, dropDb: 3, cosineThreshold: 0, use: 'accumulated' })).toBeNull();
  });
});

describe('accumulated error with no single culprit, closed form', () => {
  // x → eight ·1 ops, each output re-quantized with a scale incommensurate with the previous one:
  // every stage adds about the same rounding noise, none falls 3 dB below its input once below 20 dB.
  const STAGES = 8;
  const scales = Array.from({ length: STAGES }, (_, k) => [0.081, 0.0577, 0.0713, 0.0631][k % 4]!);
  const names = Array.from({ length: STAGES }, (_, k) => `y${k + 1}`);
  const inits = [floatTensor('one', [], [1]), ...scales.map((s, k) => floatTensor(`s${k + 1}`, [], [s])), int8Tensor('zp', [], [0])];
  const fp32 = model({
    nodes: names.map((y, k) => node('Mul', [k === 0 ? 'x' : names[k - 1]!, 'one'], [y], {}, `M${k + 1}`)),
    inputs: [valueInfo('x', [1, N])], outputs: [valueInfo(names[STAGES - 1]!, [1, N])], initializers: [floatTensor('one', [], [1])],
  });
  const int8 = model({
    nodes: names.flatMap((y, k) => {
      const last = k === STAGES - 1;
      const raw = last ? `${y}_QuantizeLinear_Input` : y;
      return [node('Mul', [k === 0 ? 'x' : `${names[k - 1]}_DequantizeLinear_Output`, 'one'], [raw], {}, `M${k + 1}`), ...qdq(raw, `s${k + 1}`, last ? y : undefined)];
    }),
    inputs: [valueInfo('x', [1, N])], outputs: [valueInfo(names[STAGES - 1]!, [1, N])], initializers: inits,
  });
  const values: number[][] = [];
  let v = X;
  for (const s of scales) { v = v.map((e) => fakeQuant(e, s)); values.push(v); }
  const expected = values.map((q) => sqnrOf(X, q));

  it('no first divergence; the headline names where it starts (first below 20 dB) and where it is worst', async () => {
    const firstLow = expected.findIndex((db) => db < 20);
    const worst = expected.indexOf(Math.min(...expected));
    // Preconditions, from the closed form: some stage is below 20 dB, and none of those falls ≥ 3 dB below its input.
    expect(firstLow).toBeGreaterThan(0);
    for (let k = firstLow; k < STAGES; k++) expect(expected[k - 1]! - expected[k]!).toBeLessThan(3);

    const rec = await compare(fp32, int8);
    names.forEach((n, k) => expect(rec.get(n)!.metrics.sqnrDb, n).toBeCloseTo(expected[k]!, 3));
    const report = buildReport({ fp32: { path: 'f.onnx', sha256: '', backend: 'ort' }, samples: ['x'], timing: { totalMs: 0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 },
      candidates: [{ model: { path: 'q.onnx', sha256: '', backend: 'ort' }, records: [...rec.values()], skipped: [], unmatched: { fp32: [], int8: [] }, perturbation: [] }] });
    const c = report.candidates[0]!;
    expect(c.firstDivergence).toBeNull();
    expect(c.accumulation!.from.tensor).toBe(names[firstLow]);
    expect(c.accumulation!.to.tensor).toBe(names[worst]);
    expect(c.accumulation!.below).toBe(expected.filter((db) => db < 20).length);
    const text = renderSummary(c, report);
    expect(text).toContain(`no single op makes the error; it accumulates from ${names[firstLow]}`);
    expect(text).not.toContain('no divergence');
  });
});

describe('headline wording', () => {
  const rec = (name: string, order: number, sqnrDb: number, inputs: string[], opType = 'Conv'): TensorRecord => ({
    name, int8Name: name, opType, node: opType ? name : '', order, shape: [1], dtype: 'float32', int8Kind: 'float', inputs, worst: null,
    metrics: { sqnrDb, cosine: 1, maxAbs: 0, meanAbs: 0, rmse: 0, count: 1, refMaxAbs: 1 } as unknown as TensorRecord['metrics'],
  });
  const reportOf = (records: TensorRecord[]) => buildReport({ fp32: { path: 'f.onnx', sha256: '', backend: 'ort' }, samples: ['s'], timing: { totalMs: 0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 },
    candidates: [{ model: { path: 'q.onnx', sha256: '', backend: 'ort' }, records, skipped: [], unmatched: { fp32: [], int8: [] }, perturbation: [] }] });

  it('an error after exact inputs says so instead of "Infinity dB below its inputs"', () => {
    const r = reportOf([rec('x', 0, Infinity, []), rec('y', 1, 12, ['x'])]);
    const text = renderSummary(r.candidates[0]!, r);
    expect(r.candidates[0]!.firstDivergence!.tensor).toBe('y');
    expect(text).not.toMatch(/Infinity|inf dB below/);
    expect(text).toContain('its inputs are exact');
  });

  it('rows without op type or node (dump-vs-dump compare) print no empty "( )"', () => {
    const r = reportOf([rec('x', 0, 40, [], ''), rec('y', 1, 12, [], '')]);
    const text = renderSummary(r.candidates[0]!, r);
    expect(text).toContain('first divergence: x'.replace('x', 'y'));
    expect(text).not.toContain('( )');
    expect(text).not.toMatch(/\(\s*\)/);
  });
});
