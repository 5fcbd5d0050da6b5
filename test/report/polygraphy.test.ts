import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArrowDumpWriter } from '../../src/dump/arrow-dump-writer.js';
import { openDump } from '../../src/dump/arrow-dump-reader.js';
import { compareSourceFiles } from '../../src/compare/compare-dumps.js';
import { openTensorSource } from '../../src/interop/tensor-source.js';
import { tensorBytes, type Tensor } from '../../src/tensor/tensor.js';
import { ROOT, pythonWith, tmpDir } from '../helpers/paths.js';
import { cli } from './fixtures.js';

const SCRIPT = path.join(ROOT, 'goldens/polygraphy/polygraphy_json.py');
const py = pythonWith('numpy', 'pyarrow');

/** A dump with every dtype Polygraphy's .npy can carry, odd shapes, two samples, INT8-style pair names. */
function mixedDump(file: string): Tensor[] {
  const w = ArrowDumpWriter.open(file, { role: 'int8', model: 'm.onnx', backend: 'test' });
  const all: Tensor[] = [];
  for (const [s, sample] of ['img/a.jpg', 'img/b.jpg'].entries()) {
    const ts: Tensor[] = [
      { name: 'x_DequantizeLinear_Output', dtype: 'float32', shape: [1, 3, 4, 5], data: Float32Array.from({ length: 60 }, (_, i) => Math.sin(i + s) * 10) },
      { name: 'nanny', dtype: 'float32', shape: [4], data: Float32Array.from([NaN, Infinity, -Infinity, -0]) },
      { name: 'half', dtype: 'float16', shape: [2, 3], data: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x3555]) },
      { name: 'f64', dtype: 'float64', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
      { name: 'q', dtype: 'int8', shape: [5], data: Int8Array.from([-128, -1, 0, 1, 127]) },
      { name: 'u', dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([0, 1, 128, 255]) },
      { name: 'idx', dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 7n]) },
      { name: 'mask', dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
      { name: 'scalar', dtype: 'float32', shape: [], data: Float32Array.from([2.5 + s]) },
    ];
    for (const t of ts) w.write(t, sample, t.name === 'x_DequantizeLinear_Output' ? 'x' : '');
    all.push(...ts);
  }
  w.close();
  return all;
}

describe('Polygraphy RunResults JSON interop', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });

  it.skipIf(!py.ok)('a JSON written by trt-diff decodes with numpy to the same arrays as the Arrow dump read by pyarrow', () => {
    if (!py.ok) console.log(`skipped: ${py.reason}`);
    const arrow = path.join(dir, 'mixed.arrow');
    mixedDump(arrow);
    const json = path.join(dir, 'mixed.json');
    const c = cli(['convert', arrow, json]);
    expect(c.code, c.stderr).toBe(0);
    const r = spawnSync('python3', [SCRIPT, 'check', json, arrow], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toEqual({ json_arrays: 18, arrow_rows: 18, compared: 18, mismatches: [] });
  });

  it('round-trips Arrow → JSON → Arrow bit-exactly (names follow the pair column)', async () => {
    const arrow = path.join(dir, 'rt.arrow');
    const written = mixedDump(arrow);
    const json = path.join(dir, 'rt.json');
    const back = path.join(dir, 'rt-back.arrow');
    expect(cli(['convert', arrow, json]).code).toBe(0);
    const b = cli(['convert', json, back]);
    expect(b.code, b.stderr).toBe(0);
    const d = await openDump(back);
    const got: { sample: string; t: Tensor }[] = [];
    for await (const e of d.entries()) got.push({ sample: e.sample, t: e.tensor });
    expect(got.map((g) => g.sample)).toEqual([...Array(9).fill('img/a.jpg'), ...Array(9).fill('img/b.jpg')]);
    got.forEach((g, i) => {
      const w = written[i]!;
      expect(g.t.name).toBe(w.name === 'x_DequantizeLinear_Output' ? 'x' : w.name);
      expect(g.t.dtype).toBe(w.dtype);
      expect(g.t.shape).toEqual(w.shape);
      expect(Buffer.from(tensorBytes(g.t)).equals(Buffer.from(tensorBytes(w)))).toBe(true);
    });
  });

  describe.skipIf(!py.ok)('files in Polygraphy\'s own format (made by goldens/polygraphy/polygraphy_json.py)', () => {
    let pg: string;
    let expected: Record<string, { sqnrDb: number; cosine: number; maxAbs: number }>;
    beforeAll(() => {
      pg = tmpDir();
      const r = spawnSync('python3', [SCRIPT, 'make', pg], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expected = JSON.parse(fs.readFileSync(path.join(pg, 'expected.json'), 'utf8'));
    });

    it('compares ndarray, LazyArray and legacy-marker files to numpy\'s metrics', async () => {
      for (const test of ['test_lazy.json', 'legacy.json', 'two_runners.json#1', 'two_runners.json#trt-runner-N0-11/27/25-21:30:05']) {
        const res = await compareSourceFiles(path.join(pg, 'ref.json'), [path.join(pg, test)]);
        expect(res.samples).toEqual(['iteration-0', 'iteration-1']);
        for (const rec of res.candidates[0]!.records) {
          const e = expected[rec.name]!;
          expect(rec.metrics.sqnrDb, `${test} ${rec.name}`).toBeCloseTo(e.sqnrDb, 9);
          expect(rec.metrics.cosine).toBeCloseTo(e.cosine, 12);
          expect(rec.metrics.maxAbs).toBeCloseTo(e.maxAbs, 12);
        }
        expect(res.candidates[0]!.records.map((r) => r.name)).toEqual(['a', 'b']);
      }
    });

    it('compares a Polygraphy JSON against an Arrow dump (pairing by iteration), equal to JSON vs JSON', async () => {
      const arrow = path.join(pg, 'test.arrow');
      expect(cli(['convert', path.join(pg, 'test_lazy.json'), arrow]).code).toBe(0);
      const r = cli(['compare', path.join(pg, 'ref.json'), arrow, '--json', '-']);
      expect(r.code, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout).candidates[0].rows as { name: string; metrics: { sqnrDb: number } }[];
      expect(rows.map((x) => x.name)).toEqual(['a', 'b']);
      for (const x of rows) expect(x.metrics.sqnrDb).toBeCloseTo(expected[x.name]!.sqnrDb, 9);
    });

    it('a file with several runners needs a #runner selector; bad JSON names the file (exit 2)', async () => {
      const r = cli(['compare', path.join(pg, 'two_runners.json'), path.join(pg, 'test_lazy.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/two_runners\.json: holds 2 runners \("onnxrt-runner-N0-11\/27\/25-21:30:00", "trt-runner-N0-11\/27\/25-21:30:05"\); pick one/);
      const trunc = path.join(pg, 'trunc.json');
      fs.writeFileSync(trunc, fs.readFileSync(path.join(pg, 'ref.json'), 'utf8').slice(0, 5000));
      const t = cli(['compare', trunc, path.join(pg, 'test_lazy.json')]);
      expect(t.code).toBe(2);
      expect(t.stderr).toMatch(/trunc\.json: not valid JSON \(unterminated string|trunc\.json: not valid JSON/);
      const notRr = path.join(pg, 'other.json');
      fs.writeFileSync(notRr, '{"hello": [1, 2]}');
      await expect(openTensorSource(notRr)).rejects.toThrow(/other\.json: not a Polygraphy RunResults JSON/);
    });
  });
});
