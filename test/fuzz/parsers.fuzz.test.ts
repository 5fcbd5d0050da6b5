import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseModel, serializeModel } from '../../src/graph/onnx-model.js';
import { encodeNpy, parseNpy } from '../../src/inputs/npy.js';
import { openDump } from '../../src/dump/arrow-dump-reader.js';
import { ArrowDumpWriter } from '../../src/dump/arrow-dump-writer.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { parseCalibrationCache, scaleToHex } from '../../src/quant/calibration-cache.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { tmpDir } from '../helpers/paths.js';
import { FUZZ_RUNS, FUZZ_SEED, reportCases } from './fuzz-config.js';
import { expectOnlyUserErrors, expectOnlyUserErrorsAsync, mutated } from './mutate.js';

const params = (runs = FUZZ_RUNS) => ({ seed: FUZZ_SEED, numRuns: runs });

describe('fuzz: .npy parser', () => {
  it('mutated .npy files parse or raise a UserError', () => {
    const base = encodeNpy({ name: 'x', dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    fc.assert(fc.property(mutated(base), (b) => expectOnlyUserErrors(() => parseNpy(b, 'x', 'f.npy'))), params());
    reportCases('npy mutated', FUZZ_RUNS);
  });

  it('arbitrary headers after the magic parse or raise a UserError', () => {
    const header = fc.oneof(fc.string(), fc.constantFrom("{'descr': '<f4', 'fortran_order': False, 'shape': (", "{'descr': '<i8', 'shape': (3,), }", "{'descr': '>f4', 'shape': (), }"))
      .chain((h) => fc.tuple(fc.constant(h), fc.uint8Array({ maxLength: 64 })));
    fc.assert(fc.property(header, ([h, body]) => {
      const text = new TextEncoder().encode(h);
      const b = new Uint8Array(10 + text.length + body.length);
      b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(b.buffer).setUint16(8, text.length, true);
      b.set(text, 10);
      b.set(body, 10 + text.length);
      expectOnlyUserErrors(() => parseNpy(b, 'x', 'f.npy'));
    }), params());
    reportCases('npy headers', FUZZ_RUNS);
  });
});

describe('fuzz: calibration cache parser', () => {
  const valid = ['TRT-100300-EntropyCalibration2', `images: ${scaleToHex(1 / 127)}`, `/model.0/conv/Conv_output_0: ${scaleToHex(0.0413)}`, `output0: ${scaleToHex(5.1)}`].join('\n') + '\n';

  it('mutated caches parse or raise a UserError', () => {
    const base = new TextEncoder().encode(valid);
    fc.assert(fc.property(mutated(base), (b) => expectOnlyUserErrors(() => parseCalibrationCache(new TextDecoder().decode(b), 'c.cache'))), params());
    reportCases('cache mutated', FUZZ_RUNS);
  });

  it('arbitrary text parses or raises a UserError; what parses round-trips its scales', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => expectOnlyUserErrors(() => parseCalibrationCache(s, 'c.cache'))), params());
    const entries = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((n) => !/[\r\n]/.test(n) && n.trim() === n && n.length > 0), fc.float({ min: Math.fround(1e-8), max: Math.fround(1e4), noNaN: true })), { selector: ([n]) => n, maxLength: 20 });
    fc.assert(fc.property(entries, (list) => {
      const text = ['TRT-8601-EntropyCalibration2', ...list.map(([n, v]) => `${n}: ${scaleToHex(v)}`)].join('\n');
      const c = parseCalibrationCache(text, 'c.cache');
      expect([...c.scales.entries()]).toEqual(list.map(([n, v]) => [n, Math.fround(v)]));
    }), params());
    reportCases('cache text + round trip', 2 * FUZZ_RUNS);
  });
});

describe('fuzz: ONNX loader', () => {
  const base = serializeModel(affineReluModels(0.05).fp32);

  it('mutated ONNX bytes parse or raise a UserError', () => {
    fc.assert(fc.property(mutated(base), (b) => expectOnlyUserErrors(() => parseModel(b, 'm.onnx'))), params());
    reportCases('onnx parse', FUZZ_RUNS);
  });

  it('mutated ONNX bytes that still parse are loaded by ONNX Runtime or refused with a UserError', async () => {
    // ORT session creation is ~ms per case; a fifth of the cases keeps this test short.
    const runs = Math.max(20, Math.floor(FUZZ_RUNS / 5));
    let parsed = 0;
    await fc.assert(fc.asyncProperty(mutated(base), async (b) => {
      let proto;
      try { proto = parseModel(b, 'm.onnx'); } catch (e) { if (e instanceof UserError) return; throw e; }
      parsed++;
      await expectOnlyUserErrorsAsync(async () => { const r = await OrtRunner.open({ path: 'm.onnx', proto }); await r.close(); });
    }), params(runs));
    reportCases(`onnx parse + ORT open (${parsed} parsed)`, runs);
  });
});

describe('fuzz: Arrow dump reader', () => {
  let dir: string;
  let base: Uint8Array;
  beforeAll(() => {
    dir = tmpDir('fuzz-arrow-');
    const file = path.join(dir, 'base.arrow');
    const w = ArrowDumpWriter.open(file, { role: 'fp32', model: 'm.onnx', backend: 'test' });
    w.write({ name: 'x', dtype: 'float32', shape: [1, 4], data: Float32Array.from([1, 2, 3, 4]) }, 's0');
    w.write({ name: 'y', dtype: 'int64', shape: [2], data: BigInt64Array.from([1n, -2n]) }, 's0');
    w.close();
    base = fs.readFileSync(file);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('mutated dumps open and stream, or raise a UserError', async () => {
    const trace = process.env.FUZZ_TRACE ? (s: string) => process.stderr.write(s) : () => undefined;
    let k = 0;
    await fc.assert(fc.asyncProperty(mutated(base), async (b) => {
      const f = path.join(dir, `m${k++}.arrow`);
      fs.writeFileSync(f, b);
      trace(`case ${k - 1} ${process.memoryUsage().heapUsed >> 20} MB\n`);
      await expectOnlyUserErrorsAsync(async () => {
        const d = await openDump(f);
        try {
          for (let i = 0; i < d.batchCount; i++) await d.readAt(i);
          for await (const e of d.entries()) expect(e.tensor.data.length).toBeGreaterThanOrEqual(0);
        } finally {
          await d.close();
        }
      });
      fs.rmSync(f, { force: true });
    }), params());
    reportCases('arrow dump', FUZZ_RUNS);
  });
});
