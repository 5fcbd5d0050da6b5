import { afterAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command as calibrate } from '../../src/cli/commands/calibrate.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { readNpy } from '../../src/inputs/npy.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { hexToScale, readCalibrationCache, scaleToHex } from '../../src/quant/calibration-cache.js';
import { runCalibrationSweep, type SweepOptions, type SweepRow } from '../../src/quant-sweep/calibration-sweep.js';
import { parseSweep } from '../../src/quant-sweep/sweep-spec.js';
import { formatSweepTable } from '../../src/quant-sweep/sweep-report.js';
import { UserError } from '../../src/errors.js';

const GOLDENS = path.resolve(__dirname, '../../goldens/quant');
const TWO_CONV = path.join(GOLDENS, 'two_conv.onnx');
const NPY_FILES = [0, 1, 2, 3].map((k) => path.join(GOLDENS, `inputs/x_${k}.npy`));
const NPY = NPY_FILES.map((f) => `x=${f}`);
const golden = JSON.parse(fs.readFileSync(path.join(GOLDENS, 'minmax_ort.json'), 'utf8')) as {
  tensors: Record<string, { amax: number; hex: string }>;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-sweep-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// two_conv's output y is [1, 2, 14, 14]: channel 1 plays the part of the "score" slice.
const options = (flags: string[], calibrator: 'minmax' | 'entropy2', over: Partial<SweepOptions> = {}): SweepOptions => ({
  plan: parseSweep(flags, { batch: 8, images: 500, calibrator }),
  placement: 'trt', scoreChannels: [1, 2], trtVersion: '100300', ...over,
});
const scalesOf = (r: SweepRow) => new Map(Object.entries(r.scales));

/** max|x| per tensor over `files`, straight from ONNX Runtime (every node output marked). */
async function absMaxOver(files: string[]): Promise<Map<string, number>> {
  const model = loadModel(TWO_CONV);
  const runner = await OrtRunner.open(model, { mark: ['conv1', 'relu1', 'y'] });
  const out = new Map<string, number>();
  const fold = (name: string, d: Float32Array) => { let m = out.get(name) ?? 0; for (const v of d) m = Math.max(m, Math.abs(v)); out.set(name, m); };
  try {
    for (const f of files) {
      const x = readNpy(f, 'x');
      fold('x', x.data as Float32Array);
      for await (const t of runner.run({ x })) fold(t.name, t.data as Float32Array);
    }
  } finally {
    await runner.close();
  }
  return out;
}

describe('calibration sweep on two_conv', () => {
  it('MinMax: batch size changes nothing (max|x| over all images), scale movement 0', async () => {
    const scratch = fs.mkdtempSync(path.join(tmp, 'scratch-'));
    const r = await runCalibrationSweep(loadModel(TWO_CONV), NPY, options(['batch=1,2'], 'minmax', { scratchRoot: scratch }));
    expect(r.rows.map((x) => [x.combination.batch, x.images, x.batches])).toEqual([[1, 4, 4], [2, 4, 2]]);
    expect(r.rows[1]!.scales).toEqual(r.rows[0]!.scales);
    // closed form, against onnxruntime-python's MinMax ranges (goldens/quant/make_goldens.py)
    for (const [name, g] of Object.entries(golden.tensors)) {
      if (name === 'x') expect(scaleToHex(r.rows[0]!.scales[name]!)).toBe(g.hex);
      else expect(Math.abs(r.rows[0]!.scales[name]! - hexToScale(g.hex))).toBeLessThanOrEqual(4 * 2 ** -23 * hexToScale(g.hex));
    }
    expect(r.rows[0]!.quantized.length).toBeGreaterThan(0);
    for (const row of r.rows) expect(row.movement).toMatchObject({ medianAbsLog2: 0, log2: 0, compared: row.quantized.length });
    expect(r.rows[1]!.outputSqnrDb).toBe(r.rows[0]!.outputSqnrDb);
    // the scratch folder is gone
    expect(fs.readdirSync(scratch)).toEqual([]);
  });

  it('MinMax: the order of the samples (seed axis) changes nothing either', async () => {
    const r = await runCalibrationSweep(loadModel(TWO_CONV), NPY, options(['seed=0,1,2', 'batch=1'], 'minmax'));
    expect(r.rows).toHaveLength(3);
    for (const row of r.rows) { expect(row.scales).toEqual(r.rows[0]!.scales); expect(row.movement.medianAbsLog2).toBe(0); }
  });

  it('Entropy2: scales per batch size as calibrate writes them, moving with the first batch\'s range', async () => {
    const keep = path.join(tmp, 'kept');
    const r = await runCalibrationSweep(loadModel(TWO_CONV), NPY, options(['batch=1,2'], 'entropy2', { keepDir: keep }));
    // per batch: the same scales as a plain `calibrate --batch B` cache
    for (const row of r.rows) {
      const cache = path.join(tmp, `b${row.combination.batch}.cache`);
      await quiet(() => (calibrate.handler as (a: unknown) => Promise<void>)({
        _: [], $0: 'trt-diff', model: TWO_CONV, input: NPY, calibrator: 'entropy2', batch: row.combination.batch, 'max-images': 500,
        placement: 'trt', percentile: 99.99, 'trt-version': '10.3', cache,
      }));
      expect(scalesOf(row)).toEqual(readCalibrationCache(cache).scales);
      expect(fs.readFileSync(row.files!.cache, 'utf8')).toBe(fs.readFileSync(cache, 'utf8'));
    }
    // In file order, x_1 raises every tensor's first-batch max|x| (the histogram's starting range)
    // when the batch grows from 1 to 2, and Entropy2's scales move.
    const [first1, first2] = [await absMaxOver(NPY_FILES.slice(0, 1)), await absMaxOver(NPY_FILES.slice(0, 2))];
    const [b1, b2] = r.rows;
    for (const t of Object.keys(b1!.scales)) expect(first2.get(t)!, t).toBeGreaterThan(first1.get(t)!);
    expect(b2!.movement.medianAbsLog2).toBeGreaterThan(0);
    // movement column: an independent median of |log2 ratio| over the quantized activations
    const logs = b2!.quantized.map((t) => Math.abs(Math.log2(b2!.scales[t]! / b1!.scales[t]!))).sort((a, b) => a - b);
    const mid = logs.length >> 1;
    expect(b2!.movement.medianAbsLog2).toBeCloseTo(logs.length % 2 ? logs[mid]! : (logs[mid - 1]! + logs[mid]!) / 2, 12);
    expect(Math.abs(b2!.movement.log2)).toBeCloseTo(logs[logs.length - 1]!, 12);
    expect(b1!.movement.medianAbsLog2).toBe(0);

    // output error: recomputed from the kept Q/DQ model on the eval input (x_0, the first sample)
    expect(r.evalInputs).toEqual([NPY[0]]);
    for (const row of r.rows) {
      const ref = await runY(TWO_CONV, NPY_FILES[0]!), test = await runY(row.files!.qdq, NPY_FILES[0]!);
      let r2 = 0, e2 = 0, c2 = 0, ce2 = 0, max = -Infinity;
      for (let i = 0; i < ref.length; i++) {
        const d = ref[i]! - test[i]!;
        r2 += ref[i]! ** 2; e2 += d * d;
        if (i >= 14 * 14) { c2 += ref[i]! ** 2; ce2 += d * d; max = Math.max(max, test[i]!); }
      }
      expect(row.outputSqnrDb).toBeCloseTo(10 * Math.log10(r2 / e2), 6);
      expect(row.scoreSqnrDb).toBeCloseTo(10 * Math.log10(c2 / ce2), 6);
      expect(row.maxScore).toBe(max);
    }
    const table = formatSweepTable(r);
    expect(table).toMatch(/batch=1,2/);
    expect(table.split('\n').filter((l) => /^│ [12] +│ 4 +│/.test(l))).toHaveLength(2);
  });

  it('Entropy2: a first batch that already holds every max|x| gives the same scales for batch 1 and 2', async () => {
    // The histogram starts at the first batch's max|x| and only doubles from there (exactly, with
    // right-closed bins): the same first range means the same histogram, hence the same threshold.
    const perFile = await Promise.all(NPY_FILES.map((f) => absMaxOver([f])));
    const all = await absMaxOver(NPY_FILES);
    const top = perFile.findIndex((m) => [...all].every(([t, v]) => m.get(t) === v));
    expect(top).toBeGreaterThanOrEqual(0);
    const inputs = [NPY[top]!, ...NPY.filter((_, i) => i !== top)];
    const r = await runCalibrationSweep(loadModel(TWO_CONV), inputs, options(['batch=1,2'], 'entropy2'));
    expect(r.rows[1]!.scales).toEqual(r.rows[0]!.scales);
    expect(r.rows[1]!.movement).toMatchObject({ medianAbsLog2: 0, log2: 0 });
  });

  it('runs from `trt-diff calibrate --sweep`, JSON to stdout; refuses --cache with --sweep and no --cache without it', async () => {
    const args = { _: [], $0: 'trt-diff', model: TWO_CONV, input: NPY, calibrator: 'minmax', batch: 8, 'max-images': 500, placement: 'trt', percentile: 99.99, 'trt-version': '10.3', 'score-channels': '1:2' };
    const handler = calibrate.handler as (a: unknown) => Promise<void>;
    const out = await quiet(() => handler({ ...args, sweep: ['images=2,4'], json: '-' }));
    const json = JSON.parse(out) as { rows: { images: number; combination: { images: number } }[] };
    expect(json.rows.map((x) => x.images)).toEqual([2, 4]);
    await expect(quiet(() => handler({ ...args, sweep: ['images=2'], cache: path.join(tmp, 'x.cache') }))).rejects.toThrow(/--sweep writes no --cache/);
    await expect(quiet(() => handler({ ...args, sweep: ['images=2'], 'score-channels': '4:84' }))).rejects.toThrow(/channel slice 4:84/);
    await expect(quiet(() => handler(args))).rejects.toThrow(UserError);
    expect(fs.existsSync(path.join(tmp, 'x.cache'))).toBe(false);
  });
});

async function runY(file: string, input: string): Promise<Float32Array> {
  const runner = await OrtRunner.open(loadModel(file));
  try {
    for await (const t of runner.run({ x: readNpy(input, 'x') })) return t.data as Float32Array;
  } finally {
    await runner.close();
  }
  throw new Error('no output');
}

async function quiet(f: () => Promise<void>): Promise<string> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await f();
    return out.mock.calls.map((c) => String(c[0])).join('');
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
