import { afterAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command as calibrate } from '../../src/cli/commands/calibrate.js';
import { command as simulate } from '../../src/cli/commands/simulate.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { readCalibrationCache } from '../../src/quant/calibration-cache.js';
import { UserError } from '../../src/errors.js';

const GOLDENS = path.resolve(__dirname, '../../goldens/quant');
const TWO_CONV = path.join(GOLDENS, 'two_conv.onnx');
const NPY = [0, 1, 2, 3].map((k) => `x=${path.join(GOLDENS, `inputs/x_${k}.npy`)}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-quant-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Handler = (argv: never) => unknown;
const run = async (cmd: { handler: unknown }, argv: Record<string, unknown>) => {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await (cmd.handler as Handler)({ _: [], $0: 'trt-diff', ...argv } as never);
    return { stdout: out.mock.calls.map((c) => String(c[0])).join(''), stderr: err.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
};
const calibrateArgs = (over: Record<string, unknown>) => ({
  model: TWO_CONV, input: NPY, calibrator: 'minmax', batch: 2, 'max-images': 500, placement: 'trt',
  percentile: 99.99, 'trt-version': '10.3', cache: path.join(tmp, 'two.cache'), ...over,
});

describe('trt-diff calibrate / simulate', () => {
  it('writes a cache and a Q/DQ model; simulate from that cache rebuilds the same model', async () => {
    const cache = path.join(tmp, 'two.minmax.cache');
    const qdq = path.join(tmp, 'two.minmax.qdq.onnx');
    const r = await run(calibrate, calibrateArgs({ cache, qdq, 'trt-version': '8.6.1' }));
    expect(r.stdout).toMatch(/4 tensors, MinMaxCalibration, 4 images in 2 batch\(es\) of 2/);
    expect(fs.readFileSync(cache, 'utf8').split('\n')[0]).toBe('TRT-8601-MinMaxCalibration');
    expect(readCalibrationCache(cache).scales.size).toBe(4);
    const sim = path.join(tmp, 'two.sim.qdq.onnx');
    await run(simulate, { model: TWO_CONV, cache, out: sim, placement: 'trt' });
    expect(fs.readFileSync(sim)).toEqual(fs.readFileSync(qdq));
    const runner = await OrtRunner.open(loadModel(sim));
    await runner.close();
  });

  it('writes every calibrator with its TensorRT algorithm name', async () => {
    for (const [c, algo] of [['entropy2', 'EntropyCalibration2'], ['entropy', 'EntropyCalibration'], ['percentile', 'LegacyCalibration']]) {
      const cache = path.join(tmp, `two.${c}.cache`);
      await run(calibrate, calibrateArgs({ calibrator: c, cache }));
      expect(fs.readFileSync(cache, 'utf8').split('\n')[0]).toBe(`TRT-100300-${algo}`);
    }
  });

  it('warns about tensors missing from a partial cache and refuses one for another model', async () => {
    const partial = path.join(tmp, 'partial.cache');
    fs.writeFileSync(partial, 'TRT-100300-EntropyCalibration2\nx: 3c010a14\n');
    const r = await run(simulate, { model: TWO_CONV, cache: partial, out: path.join(tmp, 'p.onnx'), placement: 'trt' });
    expect(r.stderr).toMatch(/^warning: .*partial\.cache: 1 activation\(s\) .* stay float: relu1 \(not in the cache\)/);
    const other = path.join(tmp, 'other.cache');
    fs.writeFileSync(other, 'TRT-100300-EntropyCalibration2\nimages: 3c010a14\n/model.0/conv/Conv_output_0: 3d0b7086\n');
    await expect(run(simulate, { model: TWO_CONV, cache: other, out: path.join(tmp, 'o.onnx'), placement: 'trt' }))
      .rejects.toThrow(/other\.cache: none of the cache's 2 tensor names occur in the model/);
    const garbage = path.join(tmp, 'garbage.cache');
    fs.writeFileSync(garbage, 'TRT-100300-EntropyCalibration2\nx: 3c010a14\nthis is not a cache line\n');
    await expect(run(simulate, { model: TWO_CONV, cache: garbage, out: path.join(tmp, 'g.onnx'), placement: 'trt' }))
      .rejects.toThrow(/garbage\.cache: line 3: expected/);
  });

  it('refuses an empty image folder and a model without float input (UserError)', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    await expect(run(calibrate, calibrateArgs({ input: [empty] }))).rejects.toThrow(UserError);
    await expect(run(calibrate, calibrateArgs({ input: [empty] }))).rejects.toThrow(/folder contains no images/);
    await expect(run(calibrate, calibrateArgs({ model: path.join(GOLDENS, 'int_input.onnx'), input: ['random'] })))
      .rejects.toThrow(/int_input\.onnx: model has no float input to calibrate from \(inputs: ids int64\)/);
  });
});
