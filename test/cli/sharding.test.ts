import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/paths.js';
import { cliEntry, runCli } from '../helpers/cli.js';
import { accumulateArrays, finalize, newAccumulator } from '../../src/compare/metrics.js';
import { mergePartials, type PartialRun } from '../../src/compare/partial.js';
import { UserError } from '../../src/errors.js';

// Shipped fixtures (fixtures/README.md): present on every clone, so these run in CI and for users.
const FP32 = path.join(ROOT, 'fixtures/yolov8n_fp32.onnx');
const INT8 = path.join(ROOT, 'fixtures/yolov8n_int8_ort_minmax_collapsed.onnx');
const BUS = path.join(ROOT, 'fixtures/bus.jpg');
// 5 samples in a fixed order: a real picture (detections, the HTML's first image) and random inputs.
const INPUTS = ['random:11', BUS, 'random:12', 'random:13', 'random:14'].flatMap((i) => ['--input', i]);
const RUN = ['run', '--fp32', FP32, '--int8', INT8, ...INPUTS, '-q'];

function cliAsync(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [...cliEntry(), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('close', (status) => resolve({ status, stderr }));
  });
}

type Row = { name: string; metrics: Record<string, number | string | number[] | Record<string, number>>; worst: unknown };
const EXACT = ['count', 'maxAbs', 'maxRel', 'nanCount', 'infCount', 'refRange', 'testRange'];
const SUMS = ['cosine', 'meanAbs', 'rmse', 'sqnrDb'];

/** Same report up to float re-association of the pooled sums. */
function expectSameReport(merged: Record<string, any>, one: Record<string, any>): void {
  expect(merged.samples).toEqual(one.samples);
  const [m, o] = [merged.candidates[0], one.candidates[0]];
  expect(m.rows.map((r: Row) => r.name)).toEqual(o.rows.map((r: Row) => r.name));
  m.rows.forEach((r: Row, i: number) => {
    const x = o.rows[i] as Row;
    for (const k of EXACT) expect(r.metrics[k], `${r.name} ${k}`).toEqual(x.metrics[k]);
    for (const k of SUMS) {
      const [a, b] = [r.metrics[k], x.metrics[k]];
      if (typeof a === 'number' && typeof b === 'number') expect(Math.abs(a - b), `${r.name} ${k}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
      else expect(a).toEqual(b);
    }
    // The worst sample's SQNR is one sample's own sums: identical, not merely close.
    expect(r.worst, r.name).toEqual(x.worst);
  });
  expect(m.firstDivergence?.tensor).toBe(o.firstDivergence?.tensor);
  expect(m.perturbation).toEqual(o.perturbation);
  expect(m.skipped).toEqual(o.skipped);
  const [hm, ho] = [m.analyses.head, o.analyses.head];
  expect(hm.verdict.verdict).toBe(ho.verdict.verdict);
  expect(hm.verdict.start).toBe(ho.verdict.start);
  expect(hm.detections).toEqual(ho.detections);
  expect(hm.output.detections).toEqual(ho.output.detections);
  expect(hm.output.anchorsAboveConf).toEqual(ho.output.anchorsAboveConf);
  expect(hm.output.maxScore).toEqual(ho.output.maxScore);
  expect(hm.output.topK.overlap).toBeCloseTo(ho.output.topK.overlap, 12);
  expect(hm.output.boxSqnrDb).toBeCloseTo(ho.output.boxSqnrDb, 9);
}

describe('run --shard/--partial, merge, --workers (fixtures, every clone)', () => {
  it('4 shards merged, and --workers 2, give the report of one run over all inputs', async () => {
    const dir = tmpDir('shards-');
    const one = path.join(dir, 'one.json');
    const parts = [1, 2, 3, 4].map((k) => path.join(dir, `part-${k}.json`));
    const runs = [cliAsync([...RUN, '--workers', '1', '--json', one]), ...parts.slice(0, 1).map((p) => cliAsync([...RUN, '--shard', '1/4', '--partial', p]))];
    for (const r of await Promise.all(runs)) expect(r.status, r.stderr).toBe(0);
    const rest = await Promise.all(parts.slice(1).map((p, i) => cliAsync([...RUN, '--shard', `${i + 2}/4`, '--partial', p])));
    for (const r of rest) expect(r.status, r.stderr).toBe(0);
    // Shard k holds samples k-1, k+3, ...: 2, 1, 1, 1 of the 5.
    expect(parts.map((p) => JSON.parse(fs.readFileSync(p, 'utf8')).samples.map((s: { index: number }) => s.index))).toEqual([[0, 4], [1], [2], [3]]);
    const mergedJson = path.join(dir, 'merged.json');
    const m = runCli(['merge', ...[...parts].reverse(), '--json', mergedJson, '-q']);
    expect(m.status, m.stderr).toBe(0);
    const reference = JSON.parse(fs.readFileSync(one, 'utf8'));
    expectSameReport(JSON.parse(fs.readFileSync(mergedJson, 'utf8')), reference);

    const workersJson = path.join(dir, 'workers.json');
    const w = runCli([...RUN, '--workers', '2', '--json', workersJson]);
    expect(w.status, w.stderr).toBe(0);
    expectSameReport(JSON.parse(fs.readFileSync(workersJson, 'utf8')), reference);
  }, 600_000);

  it('refuses what it cannot do in one line, exit 2, before running', () => {
    const dir = tmpDir('shards-bad-');
    const notPartial = path.join(dir, 'x.json');
    fs.writeFileSync(notPartial, '{"tool":"trt-diff"}');
    const cases: [string[], RegExp][] = [
      [[...RUN, '--shard', '1/2'], /--shard needs --partial FILE/],
      [[...RUN, '--shard', '3/2', '--partial', path.join(dir, 'p.json')], /--shard wants K\/N/],
      [[...RUN, '--partial', path.join(dir, 'p.json'), '--json', path.join(dir, 'r.json')], /--partial writes no report: give --json to `trt-diff merge`/],
      [[...RUN, '--workers', '2', '--local'], /--local cannot be split over workers/],
      [[...RUN, '--workers', '0'], /Expected an integer from 1 to \d+ for --workers but received 0/],
      [['merge', notPartial], /x\.json: not a trt-diff partial run/],
      [['merge', path.join(dir, 'missing.json')], /missing\.json: cannot read partial run \(ENOENT\)/],
    ];
    for (const [args, msg] of cases) {
      const r = runCli(args);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
    expect(fs.readdirSync(dir)).toEqual(['x.json']);
  }, 180_000);
});

describe('mergePartials (pooled sums against one pass over all the data)', () => {
  const model = (sha: string) => ({ path: `${sha}.onnx`, sha256: sha, backend: 'test' });
  const record = { name: 't', int8Name: 't_dq', opType: 'Relu', node: 'n', order: 0, shape: [4], dtype: 'float32', int8Kind: 'dequantized' as const, inputs: [] };
  // Sample j of the stream: 1000 values of a ReLU'd wave and a copy on a 1/64 grid.
  const sample = (j: number) => {
    const a = Float32Array.from({ length: 1000 }, (_, i) => Math.max(0, Math.sin(i * 0.37 + j) * (j + 1)));
    return { a, b: a.map((x) => Math.round(x * 64) / 64) };
  };
  const part = (index: number, count: number, samples: number[], sha = 'int8'): PartialRun => {
    const acc = newAccumulator();
    let worst: { sample: string; sqnrDb: number } | null = null;
    for (const j of samples) {
      const { a, b } = sample(j);
      const one = accumulateArrays(newAccumulator(), a, b);
      const s = finalize(one).sqnrDb;
      if (!worst || s < worst.sqnrDb) worst = { sample: `s${j}`, sqnrDb: s };
      accumulateArrays(acc, a, b);
    }
    return {
      format: 'trt-diff-partial', version: 1, shard: { index, count }, args: { fp32: 'f.onnx' }, fp32: model('fp32'),
      samples: samples.map((j) => ({ id: `s${j}`, index: j })),
      candidates: [{ model: model(sha), records: [{ ...record, acc, worst }], skipped: [], unmatched: { fp32: [], int8: [] }, perturbation: [] }],
      analyses: {}, timing: { totalMs: 1, runMs: 1, compareMs: 1, dumpMs: 0, modelRuns: 2 },
    };
  };

  it('equals accumulateArrays over every sample in one pass', () => {
    const all = newAccumulator();
    for (let j = 0; j < 7; j++) { const { a, b } = sample(j); accumulateArrays(all, a, b); }
    const merged = mergePartials([part(2, 3, [2, 5]), part(0, 3, [0, 3, 6]), part(1, 3, [1, 4])].map((p) => ({ file: 'p', part: p })));
    expect(merged.samples).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    const got = merged.candidates[0]!.records[0]!.metrics, want = finalize(all);
    expect(got.count).toBe(7000);
    expect(got.maxAbs).toBe(want.maxAbs);
    expect(got.maxRel).toBe(want.maxRel);
    expect(got.refRange).toEqual(want.refRange);
    expect(got.sqnrDb).toBeCloseTo(want.sqnrDb, 10);
    expect(got.cosine).toBeCloseTo(want.cosine, 12);
    // The worst sample over all: the one with the lowest own SQNR, found independently here.
    const own = Array.from({ length: 7 }, (_, j) => { const { a, b } = sample(j); return finalize(accumulateArrays(newAccumulator(), a, b)).sqnrDb; });
    expect(merged.candidates[0]!.records[0]!.worst!.sample).toBe(`s${own.indexOf(Math.min(...own))}`);
  });

  it('refuses parts that do not make one run', () => {
    const wrap = (...ps: PartialRun[]) => () => mergePartials(ps.map((p, i) => ({ file: `p${i}`, part: p })));
    expect(wrap(part(0, 2, [0]))).toThrow(/shard\(s\) 2\/2 missing/);
    expect(wrap(part(0, 2, [0]), part(0, 2, [0]))).toThrow(/given twice/);
    expect(wrap(part(0, 2, [0]), part(1, 3, [1]))).toThrow(/does not belong/);
    expect(wrap(part(0, 2, [0]), part(1, 2, [1], 'other'))).toThrow(UserError);
    const b = part(1, 2, [1]);
    b.args = { fp32: 'f.onnx', conf: 0.5 };
    expect(wrap(part(0, 2, [0]), b)).toThrow(/--conf differs/);
  });
});
