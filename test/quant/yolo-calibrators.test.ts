import { afterAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command as calibrators } from '../../src/cli/commands/calibrators.js';
import { readCalibrationCache, scaleToHex } from '../../src/quant/calibration-cache.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { defaultOpset } from '../../src/quant/opset-upgrade.js';

const SHARED = path.resolve(__dirname, '../../../shared/data');
const YOLO = path.join(SHARED, 'yolov8n/yolov8n_fp32.onnx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-yolo-cal-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('trt-diff calibrators on YOLOv8n', () => {
  it('collects once, writes entropy2 and minmax caches and Q/DQ models, and scores output0 class scores on bus.jpg', async () => {
    // 4 coco128 train images keep CI time down; the README numbers come from 64.
    const list = path.join(tmp, 'calib.txt');
    const dir = path.join(SHARED, 'coco128/images/train2017');
    fs.writeFileSync(list, fs.readdirSync(dir).sort().slice(0, 4).map((f) => path.join(dir, f)).join('\n'));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await (calibrators.handler as (a: unknown) => Promise<void>)({
        _: [], $0: 'trt-diff', model: YOLO, input: [list], batch: 2, 'max-images': 4, out: path.join(tmp, 'out'),
        eval: path.join(SHARED, 'images/bus.jpg'), calibrators: ['entropy2,minmax'], 'score-channels': '4:84', 'break-db': 20,
        placement: 'trt', percentile: 99.99, 'trt-version': '10.3', json: '-',
      });
    } finally {
      out.mockRestore();
    }
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'out/calibrators.json'), 'utf8'));
    expect(report.images).toBe(4);
    expect(report.fp32.output).toBe('output0');
    expect(report.fp32.channelsMax).toBeGreaterThan(0.85); // FP32 finds the bus/persons at ~0.92
    expect(report.calibrators.map((c: { calibrator: string }) => c.calibrator)).toEqual(['entropy2', 'minmax']);
    for (const c of report.calibrators) {
      expect(c.channels.range).toEqual([4, 84]);
      expect(Number.isFinite(c.channels.sqnrDb)).toBe(true);
      expect(c.channels.maxValue).toBeGreaterThan(0);
      expect(c.channels.maxValue).toBeLessThanOrEqual(1);
      expect(Number.isFinite(c.outputSqnrDb)).toBe(true);
      expect(c.quantizedTensors).toBeGreaterThan(60);
      expect(c.missing).toEqual([]);
      expect(defaultOpset(loadModel(c.qdq).proto)).toBe(13);
    }
    const e2 = readCalibrationCache(report.files[0].cache);
    const mm = readCalibrationCache(report.files[1].cache);
    expect(e2.algorithm).toBe('EntropyCalibration2');
    expect(mm.algorithm).toBe('MinMaxCalibration');
    // the network input is pixels/255 and some pixel is white: MinMax gives exactly 1/127
    expect(scaleToHex(mm.scales.get('images')!)).toBe('3c010204');
    // Entropy2 rule: the SPPF pools share their input's scale
    expect(e2.scales.get('/model.9/m/MaxPool_output_0')).toBe(e2.scales.get('/model.9/cv1/act/Mul_output_0'));
    // the amax table covers the quantized tensors with both calibrators
    const row = report.tensors.find((t: { tensor: string }) => t.tensor === '/model.0/act/Mul_output_0');
    expect(row.by.minmax.ratio).toBe(1);
    expect(row.by.entropy2.ratio).toBeGreaterThan(0);
    expect(row.by.entropy2.clipped).toBeGreaterThanOrEqual(0);
  });
});
