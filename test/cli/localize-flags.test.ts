import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../src/graph/onnx-model.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { tmpDir } from '../helpers/paths.js';
import { expectOneLineUserError, runCli } from '../helpers/cli.js';
import { N, syntheticModels } from '../localize/synthetic.js';

/**
 * `sensitivity` and `bisect` flags on the command line, on the two-op synthetic Q/DQ model of
 * test/localize (closed-form numbers are checked there; here each flag's effect on the result).
 */
let dir: string, fp32: string, int8: string, x: string;
beforeAll(() => {
  dir = tmpDir('localize-flags-');
  const m = syntheticModels();
  fp32 = path.join(dir, 'fp32.onnx'); int8 = path.join(dir, 'int8.onnx'); x = path.join(dir, 'x.npy');
  saveModel(m.fp32, fp32);
  saveModel(m.int8, int8);
  fs.writeFileSync(x, encodeNpy({ name: 'x', dtype: 'float32', shape: [1, N], data: Float32Array.from({ length: N }, (_, i) => -1.7 + 0.53 * i) }));
});

interface Sens { metric: string; weights: string; float: number | string; int8: number | string; ops: { name: string; opType: string }[]; perImage?: unknown[] }
function sens(args: string[]): Sens {
  const r = runCli(['sensitivity', '--fp32', fp32, '--int8', int8, '--input', x, '--json', '-', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Sens;
}

describe('sensitivity flags', () => {
  it('--all-ops ranks every Q/DQ op, --ops keeps the matching ones, --per-image ranks images, --metric and --weights are reported', () => {
    const all = sens(['--all-ops', '--per-image', '--metric', 'cosine']);
    expect(all.metric).toMatch(/^cosine/);
    expect(all.ops.length).toBeGreaterThanOrEqual(2);
    expect(all.perImage).toHaveLength(1);
    const one = all.ops[0]!.name;
    const filtered = sens(['--all-ops', '--ops', `^${one}$`]);
    expect(filtered.ops.map((o) => o.name)).toEqual([one]);
    // FP32 weights: "no op quantized" equals FP32; the Q/DQ model's rounded weights (3.0 for 2.9) do not.
    const fp = sens(['--all-ops', '--weights', 'fp32']), dq = sens(['--all-ops', '--weights', 'dequantized']);
    const db = (v: number | string) => (v === 'inf' ? Infinity : Number(v)); // JSON writes ±inf as strings
    expect(db(fp.float)).toBeGreaterThan(100);
    expect(dq.weights).toBe('dequantized');
    expect(db(dq.float)).toBeLessThan(60);
  });

  it('--score-channels picks the rows class_sqnr reads; --top cuts the table; two --int8 rank each', () => {
    const a = sens(['--all-ops', '--metric', 'class_sqnr', '--score-channels', '0:4']);
    const b = sens(['--all-ops', '--metric', 'class_sqnr', '--score-channels', '4:']);
    // Rows 0-3 and rows 4-7 of the output carry different errors of the INT8 model.
    expect(a.int8).not.toEqual(b.int8);
    const t = runCli(['sensitivity', '--fp32', fp32, '--int8', int8, '--input', x, '--all-ops', '--top', '1']);
    expect(t.stdout.split('\n').filter((l) => /^\s*1\s/.test(l.replace(/│/g, ' ')))).toHaveLength(1);
    const two = runCli(['sensitivity', '--fp32', fp32, '--int8', int8, '--int8', int8, '--input', x, '--all-ops', '--json', '-']);
    expect(two.status, two.stderr).toBe(0);
    expect((JSON.parse(two.stdout) as { candidate: string }[]).map((r) => r.candidate)).toEqual([int8, int8]);
  });
});

describe('bisect flags', () => {
  it('--rank and --weights are reported; --out refuses an existing file unless --force; --score-channels reaches class_sqnr', () => {
    const out = path.join(dir, 'fixed.onnx');
    fs.writeFileSync(out, 'old');
    const base = ['bisect', '--fp32', fp32, '--int8', int8, '--images', x, '--target', 'sqnr>=200', '--json', '-'];
    expectOneLineUserError(runCli([...base, '--out', out]), out, /file exists; pass --force to replace it/);
    const r = runCli([...base, '--out', out, '--force', '--rank', 'order', '--weights', 'fp32']);
    expect([0, 1], r.stderr).toContain(r.status);
    const j = JSON.parse(r.stdout) as { rank: string; weights: string; set: unknown[] | null; out?: string };
    expect([j.rank, j.weights]).toEqual(['order', 'fp32']);
    if (j.set && j.set.length > 0) expect(fs.readFileSync(out).subarray(0, 3).toString()).not.toBe('old');
    const cls = runCli(['bisect', '--fp32', fp32, '--int8', int8, '--images', x, '--target', 'class_sqnr>=1', '--score-channels', '0:4', '--json', '-']);
    expect(cls.status, cls.stderr).toBe(0);
    expect((JSON.parse(cls.stdout) as { target: string }).target).toMatch(/class_sqnr/);
    const bad = runCli(['bisect', '--fp32', fp32, '--int8', int8, '--images', x, '--target', 'class_sqnr>=1', '--score-channels', '4:2']);
    expect(bad.stderr.trim()).toBe('trt-diff: Expected a non-empty range (END above START) for --score-channels but received "4:2"');
  });
});
