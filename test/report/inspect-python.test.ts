import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatCalibrationCache } from '../../src/quant/calibration-cache.js';
import { precisionOf, readEngineJson } from '../../src/report/inspect/engine-summary.js';
import { summarizeModel } from '../../src/report/inspect/model-summary.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { ROOT, YOLO, hasShared, pythonWith, tmpDir } from '../helpers/paths.js';
import { cli, closedFormDumps, sqnrOfDelta } from './fixtures.js';

describe('trt-diff inspect', () => {
  it('calibration cache: ranges are scale·127, and 0 / Inf / NaN / huge entries are flagged', () => {
    const file = path.join(tmpDir(), 'calib.cache');
    fs.writeFileSync(file, formatCalibrationCache({ version: '100300', algorithm: 'EntropyCalibration2', scales: new Map([
      ['images', 1 / 127], ['a', 0.05], ['dead', 0], ['norange', Infinity], ['bad', NaN], ['huge', 1000],
    ]) }));
    const r = cli(['inspect', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TensorRT 100300, EntropyCalibration2: 6 entries/);
    expect(r.stdout).toMatch(/suspicious: 4/);
    expect(r.stdout).toMatch(/dead: zero scale/);
    expect(r.stdout).toMatch(/norange: infinite scale/);
    expect(r.stdout).toMatch(/bad: NaN scale/);
    expect(r.stdout).toMatch(/huge: huge range ±1\.27e\+5/); // 1000·127
    expect(r.stdout).toMatch(/ranges: min ±1\.0000, median ±6\.3500, max ±6\.3500/); // 0.05·127 = 6.35 (float32-rounded scale)
  });

  it('engine inspector JSON: precision per compute layer, reformat layers, float layers in an INT8 engine', () => {
    const region = (name: string, fmt: string) => ({ Name: name, Dimensions: [1, 16, 80, 80], 'Format/Datatype': fmt });
    const doc = {
      Layers: [
        { Name: 'images to nvinfer1::DataType::kINT8 Reformatting CopyNode', LayerType: 'Reformat', Inputs: [region('images', 'Row major linear FP32')], Outputs: [region('r0', 'Thirty-two wide channel vectorized row major Int8 format')] },
        { Name: '/model.0/conv/Conv', LayerType: 'CaskConvolution', Inputs: [region('r0', 'Thirty-two wide channel vectorized row major Int8 format')], Outputs: [region('c0', 'Thirty-two wide channel vectorized row major Int8 format')] },
        { Name: '/model.22/Sigmoid', LayerType: 'PointWiseV2', Inputs: [region('c0', 'Row major linear FP32')], Outputs: [region('s', 'Channel major FP16 format where channel % 8 == 0')] },
        { Name: 'Reformatting CopyNode for Output Tensor 0', LayerType: 'Reformat', Inputs: [region('s', 'Channel major FP16 format where channel % 8 == 0')], Outputs: [region('output0', 'Row major linear FP32')] },
      ],
      Bindings: ['images', 'output0'],
    };
    const file = path.join(tmpDir(), 'engine.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const s = readEngineJson(file);
    expect(s.byPrecision).toEqual([['INT8', 1], ['FP16', 1]]);
    expect(s.reformats.map((r) => `${precisionOf(r.from)}→${precisionOf(r.to)}`)).toEqual(['FP32→INT8', 'FP16→FP32']);
    expect(s.floatLayers).toEqual(['/model.22/Sigmoid (PointWiseV2, FP16)']);
    const r = cli(['inspect', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 layers \(2 compute, 2 reformat\); bindings: images, output0/);
    fs.writeFileSync(file, JSON.stringify({ Layers: ['a', 'b'] }));
    expect(cli(['inspect', file]).stdout).toMatch(/2 layers, names only: rebuild with ProfilingVerbosity DETAILED/);
    fs.writeFileSync(file, '{"Layers": [');
    const bad = cli(['inspect', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/engine\.json: not valid JSON/);
  });

  it.skipIf(!hasShared)('ONNX model: Q/DQ counts, quantized vs float compute ops, detector head', () => {
    const q = summarizeModel(loadModel(YOLO.entropy));
    const f = summarizeModel(loadModel(YOLO.fp32));
    const conv = f.opCounts.find(([k]) => k === 'Conv')![1];
    expect(q.quantizedCompute.length).toBe(conv); // every Conv of the static Q/DQ model reads INT8
    expect(f.floatCompute.length).toBe(conv);
    // Weights are stored already quantized (int8 initializer → DQ): every QuantizeLinear acts on an activation.
    expect(q.activationQuantizers).toBe(q.quantizeLinear);
    expect(q.dequantizeLinear).toBeGreaterThan(q.quantizeLinear);
    expect(f.quantizeLinear).toBe(0);
    expect(q.head).toMatch(/boxes=0:4 scores=4:84/);
    expect(q.depthwiseConvs).toEqual([]); // YOLOv8n has none
  });
});

const py = pythonWith('numpy', 'pyarrow');
describe.skipIf(!py.ok)('examples/plot_tensor.py (stats mode)', () => {
  it('reads both dumps with pyarrow and reports the same SQNR as the closed form', () => {
    const { ref, cands } = closedFormDumps(tmpDir(), { t0: [0.01], t1: [0.05] }, ['only']);
    const r = spawnSync('python3', [path.join(ROOT, 'examples/plot_tensor.py'), ref, cands[0]!, 't1', '--stats'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim());
    expect(s).toMatchObject({ sample: 'only', tensor: 't1', count: 64, fp32: { min: -1, max: 1 } });
    expect(s.sqnrDb).toBeCloseTo(sqnrOfDelta(0.05), 9);
    expect(s.maxAbs).toBeCloseTo(0.05, 12);
  });
});
if (!py.ok) console.log(`plot_tensor.py test skipped: ${py.reason}`);
