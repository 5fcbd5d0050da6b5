import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { buildLayerMap, writeLayerMap } from '../../src/runners/layer-map.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { tensorRtBackend } from '../../src/runners/tensorrt-backend.js';
import { TrtRunner } from '../../src/runners/trt-runner.js';
import type { BaseRunner } from '../../src/runners/base-runner.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { ROOT, tmpDir } from '../helpers/paths.js';
import { runnerContract } from '../helpers/runner-contract.js';

// TensorRT runners here run over a TEST DOUBLE of the addon (test/helpers/fake-trt-addon.cjs): these
// tests are about TypeScript control flow (lifecycle, feed checks, names), never numbers. The same
// contract runs through the stand-in TensorRT in test/runners/standin.test.ts.
process.env['TRT_DIFF_NATIVE'] = path.join(ROOT, 'test/helpers/fake-trt-addon.cjs');

const dir = tmpDir('contract-');
const onnx = path.join(dir, 'f.onnx');
saveModel(affineReluModels().fp32, onnx);
const model = loadModel(onnx);
const feeds = () => ({ x: { name: 'x', dtype: 'float32' as const, shape: [1, 4], data: new Float32Array([1, -2, 3, -4]) } });

/** y = Relu(Add(Mul(x))): TensorRT fuses Mul+Add into one layer whose output it reports as "internal_a". */
function plan(extra: Record<string, unknown> = {}) {
  return {
    fake: 'trt-diff test double', tensorrtVersion: '10.16.0', capture: 'debug',
    io: [{ name: 'x', mode: 'input', dtype: 'float32', shape: [1, 4], format: 'LINEAR' }, { name: 'y', mode: 'output', dtype: 'float32', shape: [1, 4], format: 'LINEAR' }],
    inspector: { Layers: [
      { Name: 'Mul_h + Add_a', Metadata: '[ONNX Layer: Mul_h]\x1F[ONNX Layer: Add_a]', Outputs: [{ Name: 'internal_a' }] },
      { Name: 'Relu_y', Metadata: '[ONNX Layer: Relu_y]', Outputs: [{ Name: 'y' }] },
    ] },
    results: [{ name: 'y', dtype: 'float32', shape: [1, 4], copyOf: 'x' }, { name: 'internal_a', dtype: 'float32', shape: [1, 4], copyOf: 'x' }],
    ...extra,
  };
}

function writeEngine(name: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, name);
  const p = plan(extra);
  fs.writeFileSync(file, JSON.stringify(p));
  writeLayerMap(file, buildLayerMap({ enginePath: file, model, capture: 'debug', tensorrtVersion: p.tensorrtVersion, inspectorJson: JSON.stringify(p.inspector), outputs: ['y'] }));
  return file;
}

const engine = writeEngine('f.engine');
const failing = writeEngine('fail.engine', { failInfer: 'cudaErrorIllegalAddress: an illegal memory access\nwas encountered' });
const planFile = path.join(dir, 'plans.json');
fs.writeFileSync(planFile, JSON.stringify({ 'f.onnx': plan() }));
process.env['FAKE_TRT_PLANS'] = planFile;

describe('runner contract: OrtRunner', () => {
  runnerContract({ open: () => OrtRunner.open(model, { mark: ['h', 'a'] }), feeds, yieldsOwnBuffers: true });
});

describe('runner contract: TrtRunner (test double of the addon)', () => {
  runnerContract({ open: () => TrtRunner.open(engine), feeds, failing: () => TrtRunner.open(failing), yieldsOwnBuffers: false });

  it('declares the debug tensors it yields, under their ONNX names, and what TensorRT fused', async () => {
    const r = await TrtRunner.open(engine);
    expect(r.describe().tensors.map((t) => t.name)).toEqual(['x', 'y', 'a']);
    expect(r.describe().fused).toEqual([{ name: 'h', layer: 'Mul_h + Add_a' }]);
    await r.close();
  });

  it('a layer map beside a different engine is refused with one line naming the map', async () => {
    const other = path.join(dir, 'other.engine');
    fs.writeFileSync(other, JSON.stringify(plan({ tensorrtVersion: '10.16.1' })));
    fs.copyFileSync(`${engine}.layers.json`, `${other}.layers.json`);
    await expect(TrtRunner.open(other)).rejects.toThrow(`${other}.layers.json: describes another engine than ${other}`);
  });
});

describe('runner contract: built-engine runner (tensorrt backend over the test double)', () => {
  const open = async () => (await tensorRtBackend()(model, ['h', 'a'], 'fp32')) as BaseRunner;
  runnerContract({ open, feeds, yieldsOwnBuffers: false });

  it('removes its temp engine folder when closed', async () => {
    const r = await open();
    const folder = path.dirname(r.describe().source);
    expect(fs.existsSync(`${r.describe().source}.layers.json`)).toBe(true);
    await r.close();
    expect(fs.existsSync(folder)).toBe(false);
  });
});
