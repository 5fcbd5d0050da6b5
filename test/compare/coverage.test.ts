import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareModels } from '../../src/compare/compare-models.js';
import type { OpenRunner } from '../../src/runners/open-runner.js';
import { assertComplete, coverageLine } from '../../src/compare/coverage.js';
import { GateFailure } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { buildReport } from '../../src/report/report.js';
import { renderSummary } from '../../src/report/table.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import type { Runner } from '../../src/runners/runner.js';
import { runCli } from '../helpers/cli.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { tmpDir } from '../helpers/paths.js';

/** The ONNX Runtime backend with one tensor removed on purpose from one side's results. */
function ortDropping(role: 'fp32' | 'int8', dropped: string): OpenRunner {
  return async (model, mark, r) => {
    const inner = await OrtRunner.open(model, { mark });
    if (r !== role) return inner;
    const runner: Runner = {
      describe: () => inner.describe(),
      async *run(feeds, options) { for await (const t of inner.run(feeds, options)) if (t.name !== dropped) yield t; },
      close: () => inner.close(),
    };
    return runner;
  };
}

const dir = tmpDir('coverage-');
const { fp32, int8 } = affineReluModels();
const f = path.join(dir, 'f.onnx');
const q = path.join(dir, 'q.onnx');
saveModel(fp32, f);
saveModel(int8, q);
// Independent count: the FP32 graph's tensors are x (input), h, a, y; each has a Q/DQ stand-in.
const PAIRS = 4;
const inputs = ['random:1', 'random:2'];

describe('coverage guard (ONNX Runtime backend)', () => {
  it('nothing removed: every requested pair arrives and is compared', async () => {
    const r = await compareModels(loadModel(f), [loadModel(q)], { inputs });
    const c = r.candidates[0]!;
    expect(c.coverage).toEqual({ requested: PAIRS, missing: [] });
    expect(c.records).toHaveLength(PAIRS);
    expect(() => assertComplete(r.candidates, false)).not.toThrow();
  });

  it('an INT8 tensor removed on purpose is counted, named in the headline, and fails the run unless allowed', async () => {
    // The INT8 side of h is the DequantizeLinear output that stands for it.
    const r = await compareModels(loadModel(f), [loadModel(q)], { inputs, openRunner: ortDropping('int8', 'h_DequantizeLinear_Output') });
    const c = r.candidates[0]!;
    expect(c.coverage).toEqual({ requested: PAIRS, missing: [{ name: 'h', side: 'int8', samples: 2 }] });
    expect(c.records.map((x) => x.name)).toEqual(['x', 'a', 'y']);
    const report = buildReport(r);
    expect(report.candidates[0]!.summary).toMatchObject({ requested: PAIRS, missing: 1, compared: 3 });
    expect(renderSummary(report.candidates[0]!, report)).toContain('INCOMPLETE: 1 of 4 requested tensor pairs never arrived: h (INT8)');
    expect(() => assertComplete(report.candidates, false)).toThrow(GateFailure);
    expect(() => assertComplete(report.candidates, false)).toThrow(/1 of 4 requested tensor pairs never arrived/);
    expect(() => assertComplete(report.candidates, true)).not.toThrow();
  });

  it('an FP32 tensor removed on purpose is counted on the FP32 side', async () => {
    const r = await compareModels(loadModel(f), [loadModel(q)], { inputs, openRunner: ortDropping('fp32', 'a') });
    expect(r.candidates[0]!.coverage.missing).toEqual([{ name: 'a', side: 'fp32', samples: 2 }]);
    expect(r.candidates[0]!.records.map((x) => x.name)).toEqual(['x', 'h', 'y']);
  });

  it('a tensor the runner never declares is missing for every sample without being fetched', async () => {
    const open: OpenRunner = async (model, mark, role) => {
      const inner = await OrtRunner.open(model, { mark });
      if (role !== 'int8') return inner;
      const d = inner.describe();
      const hidden = { ...d, tensors: d.tensors.filter((t) => t.name !== 'a_DequantizeLinear_Output') };
      return { describe: () => hidden, run: (feeds, o) => inner.run(feeds, o), close: () => inner.close() };
    };
    const r = await compareModels(loadModel(f), [loadModel(q)], { inputs, openRunner: open });
    expect(r.candidates[0]!.coverage.missing).toEqual([{ name: 'a', side: 'int8', samples: 2 }]);
  });

  it('coverageLine names at most three pairs and counts the rest', () => {
    const missing = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, side: 'int8' as const, samples: 1 }));
    expect(coverageLine({ requested: 9, missing })).toBe('INCOMPLETE: 5 of 9 requested tensor pairs never arrived: a (INT8), b (INT8), c (INT8), … (2 more in --json)');
    expect(coverageLine({ requested: 9, missing: [] })).toBeUndefined();
  });

  it('CLI: --allow-partial is accepted and a complete run exits 0 with the coverage in --json', () => {
    const json = path.join(dir, 'r.json');
    const r = runCli(['run', '--fp32', f, '--int8', q, '--input', 'random:3', '--allow-partial', '--json', json, '--quiet']);
    expect(r.stderr).not.toContain('INCOMPLETE');
    expect(r.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.candidates[0].coverage).toEqual({ requested: PAIRS, missing: [] });
  });
});
