import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelProto } from 'onnx-buf';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { serializeModel } from '../../src/graph/onnx-model.js';
import { pairModels } from '../../src/compare/pairing.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { qdqStructure } from '../../src/localize/qdq-ops.js';
import { fallbackPolicy, keepOnlyPolicy, rewriteQdq } from '../../src/localize/float-fallback.js';
import { LocalErrorEngine } from '../../src/localize/local-error.js';
import { rankOpsByLocalError } from '../../src/localize/op-ranking.js';
import { layerwiseSensitivity } from '../../src/localize/sensitivity.js';
import { S1, S2, S3, W_FP32, W_INT8, fakeQuant, relu, sqnrOf, syntheticModels } from './synthetic.js';
import { tmpDir } from '../helpers/paths.js';

const X = [-0.8, 0.33, 1.07, 2.46, 0.91, -0.2, 3.3, 0.58];
const xTensor = (): Tensor => ({ name: 'x', dtype: 'float32', shape: [1, X.length], data: Float32Array.from(X) });
const xs = Array.from(Float32Array.from(X));

async function runOut(proto: ModelProto): Promise<number[]> {
  const r = await OrtRunner.open({ path: 'synthetic.onnx', proto });
  try {
    for await (const t of r.run({ x: xTensor() }, { fetch: ['out'] })) return Array.from(t.data as Float32Array);
    throw new Error('no output');
  } finally {
    await r.close();
  }
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
}

describe('Q/DQ structure and float fallback (closed form on a two-op model)', () => {
  const { fp32, int8 } = syntheticModels();
  const s = qdqStructure(int8.graph!);
  const A = s.ops.find((o) => o.name === 'A')!;
  const B = s.ops.find((o) => o.name === 'B')!;
  const fp32Model = { path: 'fp32.onnx', proto: fp32 };

  it('finds three activation pairs and the ops they surround', () => {
    expect(s.pairs.map((p) => p.source)).toEqual(['x', 'a', 'out_QuantizeLinear_Input']);
    expect(s.ops.map((o) => o.name)).toEqual(['A', 'B']);
    expect(A.inputPairs.map((p) => p.source)).toEqual(['x']);
    expect(A.outputPairs.map((p) => p.source)).toEqual(['a']);
    expect(B.inputPairs.map((p) => p.source)).toEqual(['a']);
    expect(B.outputPairs.map((p) => p.source)).toEqual(['out_QuantizeLinear_Input']);
    expect(B.weightInputs).toEqual([1]);
    // the output pair is also read by the graph output
    expect(s.pairs[2]!.edges.some((e) => e.consumer === undefined)).toBe(true);
  });

  it('the INT8 model as given computes q(q(relu(q(x,s1)),s2)·3, s3)', async () => {
    expectClose(await runOut(int8), xs.map((v) => fakeQuant(fakeQuant(relu(fakeQuant(v, S1)), S2) * W_INT8, S3)));
  });

  it('B in float: its input and output pairs go, the graph output keeps its name, weights dequantized or FP32', async () => {
    const before = serializeModel(int8);
    const deq = rewriteQdq(int8, s, fallbackPolicy(new Set([B.index])), { weights: 'dequantized' });
    expect(deq.graph!.output.map((o) => o.name)).toEqual(['out']);
    expectClose(await runOut(deq), xs.map((v) => relu(fakeQuant(v, S1)) * W_INT8));
    const orig = rewriteQdq(int8, s, fallbackPolicy(new Set([B.index])), { weights: 'fp32', fp32: fp32Model });
    expectClose(await runOut(orig), xs.map((v) => relu(fakeQuant(v, S1)) * W_FP32));
    // dead Q/DQ nodes are gone, the input model is untouched
    expect(orig.graph!.node.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.input[0])).toEqual(['x']);
    expect(serializeModel(int8)).toEqual(before);
  });

  it('A in float removes the pair on its input and on its output (which is B\'s input too)', async () => {
    const m = rewriteQdq(int8, s, fallbackPolicy(new Set([A.index])));
    expectClose(await runOut(m), xs.map((v) => fakeQuant(relu(v) * W_INT8, S3)));
  });

  it('keep-only: one op keeps its input pairs, output pairs and weights; the other runs float with FP32 weights', async () => {
    const onlyA = rewriteQdq(int8, s, keepOnlyPolicy(new Set([A.index])), { weights: 'fp32', fp32: fp32Model });
    expectClose(await runOut(onlyA), xs.map((v) => fakeQuant(relu(fakeQuant(v, S1)), S2) * W_FP32));
    const onlyB = rewriteQdq(int8, s, keepOnlyPolicy(new Set([B.index])), { weights: 'fp32', fp32: fp32Model });
    expectClose(await runOut(onlyB), xs.map((v) => fakeQuant(fakeQuant(relu(v), S2) * W_INT8, S3)));
    const none = rewriteQdq(int8, s, keepOnlyPolicy(new Set()), { weights: 'fp32', fp32: fp32Model });
    expectClose(await runOut(none), xs.map((v) => relu(v) * W_FP32));
  });
});

describe('local error: each tensor computed from FP32 inputs', () => {
  it('matches the closed form: own pair and own weights only, nothing inherited', async () => {
    const { fp32, int8 } = syntheticModels();
    const fp32Model = { path: 'fp32.onnx', proto: fp32 }, int8Model = { path: 'int8.onnx', proto: int8 };
    const pairing = pairModels(fp32Model, int8Model);
    expect(pairing.pairs.map((p) => p.name).sort()).toEqual(['a', 'out', 'x']);
    const engine = await LocalErrorEngine.open(int8Model, pairing.pairs);
    const a = xs.map(relu);
    const fp32Values = new Map<string, Tensor>([
      ['a', { name: 'a', dtype: 'float32', shape: [1, 8], data: Float32Array.from(a) }],
      ['out', { name: 'out', dtype: 'float32', shape: [1, 8], data: Float32Array.from(a.map((v) => v * W_FP32)) }],
    ]);
    try {
      await engine.accumulate({ id: 's', feeds: { x: xTensor() } }, async () => fp32Values);
    } finally {
      await engine.close();
    }
    const local = engine.results();
    expect(local.get('x')!.sqnrDb).toBeCloseTo(sqnrOf(xs, xs.map((v) => fakeQuant(v, S1))), 4);
    expect(local.get('a')!.sqnrDb).toBeCloseTo(sqnrOf(a, a.map((v) => fakeQuant(v, S2))), 4);
    const outFp32 = a.map((v) => Math.fround(v * W_FP32));
    expect(local.get('out')!.sqnrDb).toBeCloseTo(sqnrOf(outFp32, a.map((v) => fakeQuant(v * W_INT8, S3))), 4);

    // in groups (one pruned cut model per tensor under a tiny budget): the same numbers
    const sizes = new Map(pairing.pairs.map((p) => [p.name, 32]));
    const grouped = await LocalErrorEngine.open(int8Model, pairing.pairs, { maxBytesPerRun: 64, sizes });
    try {
      await grouped.accumulate({ id: 's', feeds: { x: xTensor() } }, async () => fp32Values);
    } finally {
      await grouped.close();
    }
    for (const n of ['x', 'a', 'out']) expect(grouped.results().get(n)!.sqnrDb).toBe(local.get(n)!.sqnrDb);

    // ranking: the op that makes 'out' (B) owns the worst local error here; the input pair belongs to A
    const ranked = rankOpsByLocalError(qdqStructure(int8.graph!), pairing.pairs, local);
    const worstFirst = ['x', 'a', 'out'].map((n) => local.get(n)!.sqnrDb);
    const byOp = { A: Math.min(worstFirst[0]!, worstFirst[1]!), B: worstFirst[2]! };
    expect(ranked.map((r) => r.op.name)).toEqual(byOp.A < byOp.B ? ['A', 'B'] : ['B', 'A']);
    expect(ranked.find((r) => r.op.name === 'A')!.localSqnrDb).toBeCloseTo(byOp.A, 6);
  });
});

describe('sensitivity: one op quantized at a time', () => {
  it('ranks ops by the closed-form output SQNR of their keep-only variants', async () => {
    const { fp32, int8 } = syntheticModels();
    const dir = tmpDir('sens-');
    const npy = path.join(dir, 'x.npy');
    fs.writeFileSync(npy, encodeNpy(xTensor()));
    const r = await layerwiseSensitivity({
      fp32: { path: 'fp32.onnx', proto: fp32 }, int8: { path: 'int8.onnx', proto: int8 },
      inputs: [npy], metric: { metric: 'sqnr' }, scope: 'all', perImage: true,
    });
    const ref = xs.map((v) => Math.fround(relu(v) * W_FP32));
    const onlyA = sqnrOf(ref, xs.map((v) => fakeQuant(relu(fakeQuant(v, S1)), S2) * W_FP32));
    const onlyB = sqnrOf(ref, xs.map((v) => fakeQuant(fakeQuant(relu(v), S2) * W_INT8, S3)));
    const full = sqnrOf(ref, xs.map((v) => fakeQuant(fakeQuant(relu(fakeQuant(v, S1)), S2) * W_INT8, S3)));
    expect(r.ops.map((o) => o.name)).toEqual(onlyA < onlyB ? ['A', 'B'] : ['B', 'A']);
    expect(r.ops.find((o) => o.name === 'A')!.value).toBeCloseTo(onlyA, 3);
    expect(r.ops.find((o) => o.name === 'B')!.value).toBeCloseTo(onlyB, 3);
    expect(r.int8).toBeCloseTo(full, 3);
    expect(r.float).toBeGreaterThan(100); // nothing quantized, FP32 weights: identical up to float noise
    expect(r.evaluations).toBe(4);
    expect(r.perImage).toHaveLength(1);
    expect(r.perImage![0]!.worstOp).toBe(r.ops[0]!.name);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
