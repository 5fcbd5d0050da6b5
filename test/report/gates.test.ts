import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGate, parseGates, evaluateGates } from '../../src/report/gates.js';
import { junitXml } from '../../src/report/junit.js';
import { compareSourceFiles } from '../../src/compare/compare-dumps.js';
import { buildReport } from '../../src/report/report.js';
import { UserError } from '../../src/errors.js';
import { tmpDir } from '../helpers/paths.js';
import { cli, closedFormDumps, sqnrOfDelta } from './fixtures.js';

describe('gate grammar', () => {
  it('parses metric, verdict, first-divergence and unmatched gates', () => {
    expect(parseGate('sqnr<20@output0')).toEqual({ kind: 'metric', text: 'sqnr<20@output0', metric: 'sqnr', op: '<', value: 20, tensor: 'output0' });
    expect(parseGate(' cosine <= 0.999 @ /model.22/Concat_output_0 ')).toMatchObject({ metric: 'cosine', op: '<=', value: 0.999, tensor: '/model.22/Concat_output_0' });
    expect(parseGate('maxabs>1e-2')).toMatchObject({ metric: 'maxabs', op: '>', value: 0.01 });
    expect(parseGate('nan>0')).toMatchObject({ metric: 'nan', op: '>', value: 0 });
    expect(parseGate('verdict!=ok')).toEqual({ kind: 'verdict', text: 'verdict!=ok', negate: true, word: 'ok' });
    expect(parseGate('first-divergence').kind).toBe('first-divergence');
    expect(parseGates(['sqnr<20; cosine<0.99', 'unmatched']).map((g) => g.kind)).toEqual(['metric', 'metric', 'unmatched']);
  });

  it('rejects malformed gates with a UserError that shows the gate', () => {
    for (const bad of ['sqnr<<20', 'psnr<20', 'sqnr<abc', 'verdict=ok', 'sqnr']) {
      expect(() => parseGate(bad)).toThrow(UserError);
      expect(() => parseGate(bad)).toThrow(bad);
    }
  });
});

describe('gates on closed-form dumps', () => {
  // t1: δ = 0.05 (26.02 dB) in candidate 0, δ = 0.2 (13.98 dB) in candidate 1; t0 is near-exact in both.
  const deltas = { t0: [0.001, 0.001], t1: [0.05, 0.2] };

  it('evaluates each gate per candidate against the exact SQNR', async () => {
    const { ref, cands } = closedFormDumps(tmpDir(), deltas);
    const report = buildReport(await compareSourceFiles(ref, cands));
    const t1 = report.candidates.map((c) => c.rows.find((r) => r.name === 't1')!.metrics.sqnrDb);
    expect(t1[0]).toBeCloseTo(sqnrOfDelta(0.05), 9); // 26.0206
    expect(t1[1]).toBeCloseTo(sqnrOfDelta(0.2), 9); // 13.9794
    const res = evaluateGates(report, parseGates(['sqnr<20@t1', 'sqnr<30', 'maxabs>0.1@t1', 'first-divergence']));
    const byGate = (g: string) => res.filter((r) => r.gate === g).map((r) => r.passed);
    expect(byGate('sqnr<20@t1')).toEqual([true, false]);
    expect(byGate('sqnr<30')).toEqual([false, false]); // worst tensor is t1 for both
    expect(byGate('maxabs>0.1@t1')).toEqual([true, false]);
    // The 13.98 dB tensor is below the 20 dB threshold with no inputs: a divergence; 26 dB is not.
    expect(byGate('first-divergence')).toEqual([true, false]);
    const xml = junitXml(res);
    expect(xml.match(/<testcase /g)).toHaveLength(8);
    expect(xml.match(/<failure /g)).toHaveLength(5);
    await expect(async () => evaluateGates(report, parseGates(['sqnr<20@nope']))).rejects.toThrow(/no tensor "nope"/);
  });

  it('CLI: a failing gate exits 1 and the JUnit file shows the failing case; passing gates exit 0', () => {
    const dir = tmpDir();
    const { ref, cands } = closedFormDumps(dir, deltas);
    const junit = path.join(dir, 'gates.xml');
    const r = cli(['compare', ref, cands[1]!, '--fail-on', 'sqnr<20@t1', '--fail-on', 'cosine<0.999@t1', '--junit', junit], { NO_COLOR: '1' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/1 of 2 gate check\(s\) failed: sqnr<20@t1 \(SQNR 13\.9794 at t1/);
    const xml = fs.readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuites name="trt-diff" tests="2" failures="1"/);
    expect(xml).toMatch(/<testcase classname="trt-diff.cand1.onnx" name="sqnr&lt;20@t1">\s*<failure message="sqnr&lt;20@t1: SQNR 13.9794 at t1 \(&lt; 20\)"/);
    expect(xml).toMatch(/<testcase classname="trt-diff.cand1.onnx" name="cosine&lt;0.999@t1"><system-out>/);

    const ok = cli(['compare', ref, cands[0]!, '--fail-on', 'sqnr<20@t1', '--junit', junit]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(junit, 'utf8')).toMatch(/failures="0"/);

    const bad = cli(['compare', ref, cands[0]!, '--fail-on', 'sqnr<<20']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--json - keeps stdout pure JSON even with gates and two candidates; no ANSI colour without a TTY', () => {
    const { ref, cands } = closedFormDumps(tmpDir(), deltas);
    const r = cli(['compare', ref, ...cands, '--json', '-', '--fail-on', 'verdict!=ok']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.candidates).toHaveLength(2);
    expect(r.stderr).toMatch(/gate FAILED: verdict!=ok/);
    const t = cli(['compare', ref, ...cands]);
    expect(t.stdout).not.toMatch(/\x1b\[/);
  });

  it('two candidates: the terminal shows them side by side with each one\'s first divergence', () => {
    const { ref, cands } = closedFormDumps(tmpDir(), deltas);
    const r = cli(['compare', ref, ...cands], { NO_COLOR: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/A = cand0.onnx: verdict ok; no divergence/);
    expect(r.stdout).toMatch(/B = cand1.onnx: verdict diverged; first divergence t1/);
    const row = r.stdout.split('\n').find((l) => /│ t1 /.test(l))!;
    expect(row).toMatch(/│\s+26\.0 │\s+>> 14\.0 │/);
  });
});
