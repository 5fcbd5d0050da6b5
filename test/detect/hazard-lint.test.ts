import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/graph/onnx-model.js';
import { lintModel, observeConcatRanges } from '../../src/lint/hazard-lint.js';
import { parseCalibrationCache } from '../../src/quant/calibration-cache.js';
import { GateFailure } from '../../src/errors.js';
import { command as lintCommand } from '../../src/cli/commands/lint.js';
import { YOLO, hasShared } from '../helpers/paths.js';

describe.skipIf(!hasShared)('hazard lint', () => {
  it('catches the collapsed model: one Q/DQ scale over box pixels and [0,1] scores on output0', () => {
    const f = lintModel(loadModel(YOLO.collapsed));
    const concat = f.filter((x) => x.rule === 'concat-range');
    expect(concat).toHaveLength(1);
    expect(concat[0]!.severity).toBe('error');
    expect(concat[0]!.where).toMatch(/→ output0$/);
    expect(concat[0]!.message).toContain('every value of /model.22/Sigmoid_output_0 rounds to 0');
    // step = output scale: the DQ scale of output0 (≈ 5.1, shared/README)
    const step = Number(/step ([\d.]+)/.exec(concat[0]!.message)![1]);
    expect(step).toBeGreaterThan(5);
    expect(step).toBeLessThan(5.3);
    expect(f.some((x) => x.rule === 'int8-output' && x.where === 'output0')).toBe(true);
  });

  it('finds no Concat hazard in the entropy model, whose output Concat stays in float', () => {
    expect(lintModel(loadModel(YOLO.entropy)).filter((x) => x.severity !== 'info')).toEqual([]);
  });

  it('FP32 model: ranges from a calibration cache, or from one FP32 run', async () => {
    const fp32 = loadModel(YOLO.fp32);
    const cache = parseCalibrationCache([
      'TRT-100300-EntropyCalibration2',
      '/model.22/Mul_2_output_0: 40a14285', // float32 bits of 640/127 → amax 640
      '/model.22/Sigmoid_output_0: 3c010204', // 1/127 → amax 1
      'output0: 40a14285',
    ].join('\n'));
    const fromCache = lintModel(fp32, { cache });
    expect(fromCache.find((x) => x.rule === 'concat-range')?.severity).toBe('error');
    expect(fromCache.some((x) => x.rule === 'int8-output')).toBe(true);
    const observed = await observeConcatRanges(fp32, [YOLO.bus]);
    expect(observed.get('/model.22/Sigmoid_output_0')!).toBeLessThanOrEqual(1);
    expect(observed.get('/model.22/Mul_2_output_0')!).toBeGreaterThan(400);
    const fromRun = lintModel(fp32, { observed, imgsz: { height: 320, width: 320 } });
    expect(fromRun.filter((x) => x.rule === 'concat-range').map((x) => x.where)).toEqual(['/model.22/Concat_3 → output0']);
    expect(fromRun.find((x) => x.rule === 'input-size')!.message).toContain('640x640');
    expect(lintModel(fp32).map((x) => x.rule)).toEqual(['no-ranges']);
  });

  it('--fail-on-hazard turns findings into exit code 1', async () => {
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      const args = { model: YOLO.collapsed, input: [], 'fail-on-hazard': true, 'range-ratio': 10, resize: 'letterbox', 'pad-value': 114 };
      await expect(lintCommand.handler(args)).rejects.toBeInstanceOf(GateFailure);
      await expect(lintCommand.handler({ ...args, model: YOLO.entropy })).resolves.toBeUndefined();
    } finally {
      process.stdout.write = write;
    }
  });
});
