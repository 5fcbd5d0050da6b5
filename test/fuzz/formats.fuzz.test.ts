import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDump } from '../../src/dump/arrow-dump-reader.js';
import { crc32 } from '../../src/dump/row-checksum.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { openPolygraphySource, polygraphyRunners } from '../../src/interop/polygraphy-json.js';
import { readEngineJson } from '../../src/report/inspect/engine-summary.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { termText, shortName } from '../../src/report/terminal-text.js';
import { tmpDir } from '../helpers/paths.js';
import { dumpBytes, externalModel, f32Bytes } from '../robustness/hostile-fixtures.js';
import { FUZZ_RUNS, FUZZ_SEED, reportCases } from './fuzz-config.js';
import { expectOnlyUserErrors, expectOnlyUserErrorsAsync, mutated } from './mutate.js';

/**
 * Property-based fuzzing of the parsers test/fuzz/parsers.fuzz.test.ts does not cover: the Arrow
 * IPC *stream* format, Polygraphy RunResults JSON, TensorRT engine inspector JSON, ONNX external
 * data entries; plus the escaping and checksum functions the hostile-input suite relies on.
 * Every parser must succeed or raise a UserError (one line, exit 2), never anything else.
 */
const params = (runs = FUZZ_RUNS) => ({ seed: FUZZ_SEED, numRuns: runs });
let dir: string;
let k = 0;
const file = (name: string, bytes: Uint8Array | string) => {
  const f = path.join(dir, `${k++}-${name}`);
  fs.writeFileSync(f, bytes);
  return f;
};
beforeAll(() => { dir = tmpDir('fuzz-formats-'); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readWholeDump(f: string): Promise<void> {
  const d = await openDump(f);
  try {
    for await (const e of d.entries()) expect(e.tensor.data.length).toBeGreaterThanOrEqual(0);
  } finally {
    await d.close();
  }
}

describe('fuzz: Arrow IPC stream format', () => {
  it('mutated dump streams open and stream, or raise a UserError', async () => {
    const base = dumpBytes('stream', 3);
    await fc.assert(fc.asyncProperty(mutated(base), async (b) => {
      const f = file('s.arrow', b);
      await expectOnlyUserErrorsAsync(() => readWholeDump(f));
      fs.rmSync(f);
    }), params());
    reportCases('arrow stream', FUZZ_RUNS);
  });
  it('random 32-bit words written over message headers are refused or read, never trusted', async () => {
    const base = dumpBytes('stream', 2);
    const words = fc.array(fc.record({ at: fc.nat(base.length - 4), v: fc.oneof(fc.constant(0x7fffffff), fc.constant(0xffffffff), fc.nat()) }), { minLength: 1, maxLength: 3 });
    await fc.assert(fc.asyncProperty(words, async (ws) => {
      const b = Uint8Array.from(base);
      for (const w of ws) new DataView(b.buffer).setUint32(w.at, w.v >>> 0, true);
      const f = file('w.arrow', b);
      await expectOnlyUserErrorsAsync(() => readWholeDump(f));
      fs.rmSync(f);
    }), params());
    reportCases('arrow stream words', FUZZ_RUNS);
  });
});

describe('fuzz: Polygraphy RunResults JSON', () => {
  const npy = (v: number[]) => Buffer.from(encodeNpy({ name: 'x', dtype: 'float32', shape: [v.length], data: Float32Array.from(v) })).toString('base64');
  const valid = JSON.stringify({
    lst: [['onnxrt-runner', [{ outputs: { a: { array: npy([1, 2, 3]), polygraphy_class: 'ndarray' }, 'b\\n': { values: { array: npy([4]) }, polygraphy_class: 'LazyArray' } }, runtime: 0.1, runner_name: 'onnxrt-runner', polygraphy_class: 'IterationResult' }]]],
    polygraphy_class: 'RunResults',
  });
  const readAll = async (f: string) => {
    polygraphyRunners(f);
    const s = openPolygraphySource(f);
    try { for await (const e of s.entries()) expect(e.tensor.data.length).toBeGreaterThanOrEqual(0); } finally { await s.close(); }
  };
  it('mutated RunResults parse and decode, or raise a UserError', async () => {
    await fc.assert(fc.asyncProperty(mutated(new TextEncoder().encode(valid)), async (b) => {
      const f = file('r.json', b);
      await expectOnlyUserErrorsAsync(() => readAll(f));
    }), params());
    reportCases('polygraphy json mutated', FUZZ_RUNS);
  });
  it('arbitrary JSON values under "lst" are refused or read', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (v) => {
      const f = file('j.json', JSON.stringify({ lst: v }));
      await expectOnlyUserErrorsAsync(() => readAll(f));
    }), params());
    reportCases('polygraphy json values', FUZZ_RUNS);
  });
});

describe('fuzz: TensorRT engine inspector JSON', () => {
  const valid = JSON.stringify({
    Layers: [
      { Name: 'conv1', LayerType: 'CaskConvolution', Inputs: [{ Name: 'x', Dimensions: [1, 3, 8, 8], 'Format/Datatype': 'Channel major Int8 format' }], Outputs: [{ Name: 'c1', 'Format/Datatype': 'Row major linear FP32' }] },
      { Name: 'Reformatting CopyNode', LayerType: 'Reformat', Inputs: [{ 'Format/Datatype': 'Int8' }], Outputs: [{ 'Format/Datatype': 'FP32' }] },
    ],
    Bindings: ['x', 'c1'],
  });
  it('mutated engine JSON is summarized or raises a UserError', () => {
    fc.assert(fc.property(mutated(new TextEncoder().encode(valid)), (b) => expectOnlyUserErrors(() => readEngineJson(file('e.json', b)))), params());
    reportCases('engine json mutated', FUZZ_RUNS);
  });
  it('arbitrary JSON documents are summarized or raise a UserError', () => {
    const layer = fc.dictionary(fc.constantFrom('Name', 'LayerType', 'Inputs', 'Outputs', 'Metadata', 'TacticName'), fc.jsonValue({ maxDepth: 3 }));
    const doc = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ Layers: fc.array(fc.oneof(layer, fc.jsonValue({ maxDepth: 2 })), { maxLength: 6 }), Bindings: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['Layers'] }));
    fc.assert(fc.property(doc, (d) => expectOnlyUserErrors(() => readEngineJson(file('d.json', JSON.stringify(d) ?? 'null')))), params());
    reportCases('engine json documents', FUZZ_RUNS);
  });
});

describe('fuzz: ONNX external data entries', () => {
  it('arbitrary location/offset/length strings load the right 4 bytes or raise a UserError; nothing outside the folder is read', () => {
    const models = path.join(dir, 'ext');
    fs.mkdirSync(models);
    fs.writeFileSync(path.join(models, 'w.bin'), f32Bytes([2, 3, 5]));
    fs.writeFileSync(path.join(dir, 'outside.bin'), f32Bytes([99]));
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -20, max: 20 }).map(String), fc.constantFrom('w.bin', '../outside.bin', './w.bin', 'sub/../w.bin', '/etc/passwd', '', '4', '1e1', '0x4', ' 4'));
    const entries = fc.record({ location: text, offset: text, length: text }, { requiredKeys: ['location'] });
    fc.assert(fc.property(entries, (e) => {
      const m = externalModel(models, `m${k++}.onnx`, e as Record<string, string>);
      expectOnlyUserErrors(() => {
        const two = loadModel(m).proto.graph!.initializer.find((t) => t.name === 'two')!;
        const v = new Float32Array(Uint8Array.from(two.rawData).buffer)[0];
        expect([2, 3, 5]).toContain(v); // a value from w.bin, never 99 from outside the folder
      });
      fs.rmSync(m);
    }), params());
    reportCases('onnx external data', FUZZ_RUNS);
  });
});

describe('fuzz: helpers the hostile-input suite relies on', () => {
  it('termText leaves no control, separator or bidi character and is the identity on safe text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      const t = termText(s);
      expect(t).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/.test(s)) expect(t).toBe(s);
      // Escapes use JSON's spelling: JSON.parse of the quoted result gives the input back when it had no quote or backslash.
      if (!/["\\]/.test(s)) expect(JSON.parse(`"${t}"`)).toBe(s);
    }), params());
    reportCases('termText', FUZZ_RUNS);
  });
  it('shortName keeps at most max code points, both ends of the name, and short names whole', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 3, max: 120 }), (s, max) => {
      const out = shortName(s, max);
      const cps = [...s];
      if (cps.length <= max) { expect(out).toBe(s); return; }
      expect([...out]).toHaveLength(max);
      expect(out.startsWith(cps.slice(0, Math.ceil((max - 1) / 2)).join(''))).toBe(true);
      expect(out.endsWith(cps.slice(cps.length - Math.floor((max - 1) / 2)).join(''))).toBe(true);
    }), params());
    reportCases('shortName', FUZZ_RUNS);
  });
  it('crc32 equals zlib\'s CRC-32 fed in arbitrary pieces', () => {
    const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (parts) => {
      const whole = Buffer.concat(parts);
      let c = 0;
      for (const p of parts) c = crc32(p, c);
      // Independent reference: zlib's one-shot CRC of the concatenation (gzip trailer when Node lacks zlib.crc32).
      const want = native ? native(whole) : zlib.gzipSync(whole).readUInt32LE(zlib.gzipSync(whole).length - 8);
      expect(c >>> 0).toBe(whole.length === 0 ? 0 : want >>> 0);
    }), params());
    reportCases('crc32', FUZZ_RUNS);
  });
});
