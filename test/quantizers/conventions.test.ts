import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelProto } from 'onnx-buf';
import { loadModel, type OnnxModel } from '../../src/graph/onnx-model.js';
import { pairModels } from '../../src/compare/pairing.js';
import { compareModels } from '../../src/compare/compare-models.js';
import { finalize, accumulateTensors, newAccumulator } from '../../src/compare/metrics.js';
import { firstDivergence } from '../../src/analysis/first-divergence.js';
import { qdqStructure } from '../../src/localize/qdq-ops.js';
import { fallbackPolicy, keepOnlyPolicy, rewriteQdq } from '../../src/localize/float-fallback.js';
import { layerwiseSensitivity } from '../../src/localize/sensitivity.js';
import { searchFallbackSet } from '../../src/localize/fallback-search.js';
import { parseMetric, parseTarget } from '../../src/localize/targets.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { randomTensor } from '../../src/inputs/random.js';
import { isQLinearOp } from '../../src/graph/qoperator.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ROOT, YOLO, hasShared } from '../helpers/paths.js';

/**
 * Models made by goldens/quantizers/make_models.py: small CNNs exported from torch and quantized by
 * onnxruntime.quantization in each convention (QDQ u8 per-tensor / per-channel, QDQ s8 symmetric,
 * QOperator), and the numbers onnxruntime-python + numpy computed for them (manifest.json).
 */
const DIR = path.join(ROOT, 'goldens/quantizers');
const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as {
  models: Record<string, { fp32: string; variants: Record<string, { file: string; relu_clip_kept: number }> }>;
  damaged: { file: string; fp32: string; node: string };
  qop_sqnr_db: Record<string, Record<string, number>>;
};
const model = (f: string): OnnxModel => loadModel(path.join(DIR, 'models', f));
const cases = Object.values(manifest.models).flatMap((m) => Object.entries(m.variants).map(([v, e]) => ({ fp32: m.fp32, variant: v, ...e })));
const qdqCases = cases.filter((c) => c.variant.startsWith('qdq'));
const qopCases = cases.filter((c) => c.variant.startsWith('qop'));

describe('pairing sees through every ONNX Runtime quantizer convention', () => {
  it.each(cases)('$file: every FP32 tensor paired or absorbed, nothing unmatched', ({ fp32, file, relu_clip_kept, variant }) => {
    const p = pairModels(model(fp32), model(file));
    expect(p.unmatchedRef).toEqual([]);
    expect(p.unmatchedTest).toEqual([]);
    // Relu/Clip that the quantizer deleted are folded; those it kept (symmetric activations) are not.
    if (relu_clip_kept > 0) expect(p.folded.size).toBe(0);
    else expect(p.folded.size).toBeGreaterThan(0);
    // Every FP32 Relu/Clip row reads the row of the op before it (a drop can be computed), never nothing.
    for (const row of p.pairs.filter((r) => r.opType === 'Relu' || r.opType === 'Clip')) {
      expect(row.inputs.length, row.name).toBeGreaterThan(0);
      if (variant.startsWith('qdq')) expect(p.pairs.find((r) => r.name === row.inputs[0])!.opType).toBe('Conv');
    }
    // In Q/DQ form the raw Conv output is the Q's float input: everything FP32 has is paired.
    if (variant.startsWith('qdq')) expect(p.absorbed.size).toBe(0);
  });

  it.each(qopCases)('$file: every QLinear op output is compared, labelled with its INT8 op', ({ fp32, file }) => {
    const int8 = model(file);
    const p = pairModels(model(fp32), int8);
    const g = int8.proto.graph!;
    const dqOf = new Map(g.node.filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.output[0], n.input[0]]));
    const compared = new Set(p.pairs.map((r) => (r.test.kind === 'dequantized' ? dqOf.get(r.test.actual) : r.test.actual)));
    const qlinear = g.node.filter((n) => isQLinearOp(n.opType));
    expect(qlinear.length).toBeGreaterThan(2);
    for (const n of qlinear) expect(compared.has(n.output[0]), `${n.opType} ${n.name}`).toBe(true);
    for (const r of p.pairs.filter((x) => x.test.kind === 'quantized' && x.test.node && isQLinearOp(x.test.node.opType))) {
      expect(r.int8Op).toMatch(/^Q/);
    }
  });
});

describe('QOperator: dequantized layer outputs against onnxruntime-python + numpy', () => {
  const x = path.join(DIR, 'input.npy');
  it.each(Object.keys(manifest.qop_sqnr_db))('%s: SQNR of every QLinear output equals the golden', async (file) => {
    const golden = manifest.qop_sqnr_db[file]!;
    const r = await compareModels(model('mixed.onnx'), [model(file)], { inputs: [x] });
    const rec = new Map(r.candidates[0]!.records.map((t) => [t.name, t]));
    for (const [tensor, db] of Object.entries(golden)) expect(rec.get(tensor)?.metrics.sqnrDb, tensor).toBeCloseTo(db, 2);
    expect(r.candidates[0]!.skipped).toEqual([]);
  });

  it('the crushed block is named first divergence, by its FP32 op and its INT8 op', async () => {
    const fp32 = model(manifest.damaged.fp32), int8 = model(manifest.damaged.file);
    const r = await compareModels(fp32, [int8], { inputs: [x, 'random:1'] });
    const fd = firstDivergence(r.candidates[0]!.records)!;
    const p = pairModels(fp32, int8);
    // The damaged node is a QLinearConv with its Clip folded: the row is the Clip output, made by that node.
    const chain = p.folded.get(fd.tensor)!;
    expect(chain).toBeDefined();
    expect(`${p.refGraph.nodes[p.refGraph.producer.get(chain.raw)!]!.name}_quant`).toBe(manifest.damaged.node);
    expect(r.candidates[0]!.records.find((t) => t.name === fd.tensor)!.int8Op).toBe('QLinearConv+Clip');
    // Made there: its input (conv1's output, untouched) is clean and it falls far below it.
    expect(fd.inputSqnrDb!).toBeGreaterThan(35);
    expect(fd.dropDb!).toBeGreaterThan(20);
  });
});

async function outputs(m: OnnxModel | { path: string; proto: ModelProto }, x: Tensor): Promise<Map<string, Tensor>> {
  const r = await OrtRunner.open(m);
  try {
    const out = new Map<string, Tensor>();
    for await (const t of r.run({ [x.name]: x })) out.set(t.name, t);
    return out;
  } finally {
    await r.close();
  }
}

/** "Nothing quantized" must be the FP32 model: bit-identical or SQNR ≥ 60 dB on every output. */
async function expectNothingQuantizedIsFp32(fp32: OnnxModel, int8: OnnxModel, x: Tensor): Promise<void> {
  const s = qdqStructure(int8.proto.graph!);
  const ref = await outputs(fp32, x);
  const variants = {
    'keep-only(none)': rewriteQdq(int8.proto, s, keepOnlyPolicy(new Set()), { weights: 'fp32', fp32 }),
    'fallback(all)': rewriteQdq(int8.proto, s, fallbackPolicy(new Set(s.ops.map((o) => o.index))), { weights: 'fp32', fp32 }),
  };
  for (const [label, proto] of Object.entries(variants)) {
    for (const [name, t] of await outputs({ path: int8.path, proto }, x)) {
      const m = finalize(accumulateTensors(newAccumulator(), ref.get(name)!, t));
      expect(m.maxAbs === 0 || m.sqnrDb >= 60, `${path.basename(int8.path)} ${label} ${name}: SQNR ${m.sqnrDb} dB`).toBe(true);
    }
  }
}

describe('float fallback and sensitivity: "nothing quantized" equals FP32', () => {
  it.each(qdqCases)('$file', async ({ fp32, file }) => {
    await expectNothingQuantizedIsFp32(model(fp32), model(file), randomTensor('input', [1, 3, 32, 32], 5));
  });

  it('a partial fallback reinstates the folded Relu only where the Q/DQ goes (conv1 float, conv2 quantized)', async () => {
    const fp32 = model('mixed.onnx'), int8 = model('mixed_qdq_u8_tensor.onnx');
    const s = qdqStructure(int8.proto.graph!);
    const conv1 = s.ops.find((o) => o.name === '/conv1/Conv')!;
    const proto = rewriteQdq(int8.proto, s, fallbackPolicy(new Set([conv1.index])), { weights: 'fp32', fp32 });
    expect(proto.graph!.node.filter((n) => n.opType === 'Relu').length).toBe(1);
    // conv1 in float: its raw output, Relu'd, is what conv2 and the residual Add read; FP32 computes the same.
    const x = randomTensor('input', [1, 3, 32, 32], 6);
    const got = await outputs({ path: int8.path, proto }, x);
    const ref = await outputs(fp32, x);
    const m = finalize(accumulateTensors(newAccumulator(), ref.get('feat')!, got.get('feat')!));
    // conv2..conv5 stay quantized, so not FP32, but no sign flip of the negative half either (−3 dB before the fix).
    expect(m.sqnrDb).toBeGreaterThan(30);
  });

  it('sensitivity reports the floor (no op quantized) as FP32, and bisect reaches a target above the INT8 model', async () => {
    const fp32 = model('mixed.onnx'), int8 = model('mixed_qdq_u8_tensor.onnx');
    const inputs = ['random:1', 'random:2'];
    const sens = await layerwiseSensitivity({ fp32, int8, inputs, metric: parseMetric('sqnr@feat') });
    expect(sens.float).toBe(Infinity);
    expect(sens.int8).toBeLessThan(45);
    const { result } = await searchFallbackSet({ fp32, int8, inputs, target: parseTarget('sqnr>=50@feat') });
    expect(result.allFloat).toBe(Infinity);
    expect(result.met).toBe(true);
    expect(result.set!.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasShared)('"nothing quantized" equals FP32 on the YOLOv8n Q/DQ models in ../shared', () => {
  it.each([YOLO.entropy, YOLO.qdqB, YOLO.collapsed])('%s', async (file) => {
    await expectNothingQuantizedIsFp32(loadModel(YOLO.fp32), loadModel(file), randomTensor('images', [1, 3, 640, 640], 7));
  }, 120_000);
});
if (!hasShared) console.log('skipping the YOLOv8n invariant: ../shared/data is absent');
