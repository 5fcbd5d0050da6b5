import { describe, expect, it } from 'vitest';
import { compareModels } from '../../src/compare/compare-models.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { tensorRtBackend } from '../../src/runners/tensorrt-backend.js';
import { trtUnavailableReason } from '../../src/runners/trt-runner.js';
import { runCli } from '../helpers/cli.js';
import { YOLO, hasShared } from '../helpers/paths.js';

const noTrt = trtUnavailableReason();
if (noTrt) console.log(`TensorRT backend tests skipped: ${noTrt}`);

describe.skipIf(!hasShared)('--backend tensorrt', () => {
  it.runIf(!!noTrt)('without TensorRT: one line naming the model and the reason, exit 2', () => {
    const r = runCli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--input', YOLO.bus, '--backend', 'tensorrt']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${YOLO.fp32}: TensorRT backend not available`);
  });

  it.skipIf(!!noTrt)('on a GPU with TensorRT: FP32 vs entropy Q/DQ engines, every marked tensor paired through the ONNX graphs', async () => {
    const r = await compareModels(loadModel(YOLO.fp32), [loadModel(YOLO.entropy)], { inputs: [YOLO.bus], openRunner: tensorRtBackend() });
    const c = r.candidates[0]!;
    expect(r.fp32.backend).toMatch(/^tensorrt-/);
    expect(c.records.length).toBeGreaterThan(100);
    const out = c.records.find((x) => x.name === 'output0')!;
    expect(out.metrics.sqnrDb).toBeGreaterThan(15);
    expect(c.perturbation.length).toBeGreaterThan(0);
  });
});
