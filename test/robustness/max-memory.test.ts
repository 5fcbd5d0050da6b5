import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/paths.js';
import { runCliMeasured } from '../helpers/cli.js';
import { weightHeavyPair } from './fixtures.js';
import { loadModel } from '../../src/graph/onnx-model.js';
import { MIN_GROUP_BYTES, planMemory, weightBytes } from '../../src/compare/memory-budget.js';

/** --max-memory as a bound on weights plus activations (src/compare/memory-budget.ts). */
const MB = 2 ** 20;

describe('memory plan (closed form)', () => {
  it('a budget under one session per model plus the largest tensor pair runs at that floor', () => {
    const p = planMemory(4 * MB, { fp32: 94 * MB, int8: 94 * MB }, 105 * MB);
    expect(p.floorBytes).toBe(188 * MB + 210 * MB);
    expect(p.budgetBytes).toBe(p.floorBytes);
    expect(p.maxSessions).toBe(1);
    expect(p.groupBytes).toBe(105 * MB); // exactly the largest tensor: one FP32 + one INT8 group fill the rest
  });

  it('groups are never planned under MIN_GROUP_BYTES (a session per tiny group costs more than it saves)', () => {
    const p = planMemory(1 * MB, { fp32: 16 * MB, int8: 16 * MB }, 4096);
    expect(p.groupBytes).toBe(MIN_GROUP_BYTES);
    expect(p.budgetBytes).toBe(32 * MB + 2 * MIN_GROUP_BYTES);
  });

  it('spare budget: a quarter keeps more group sessions open, the rest sizes the groups; all within the budget', () => {
    const w = { fp32: 10 * MB, int8: 6 * MB };
    const p = planMemory(1000 * MB, w, 50 * MB);
    const spare = 1000 * MB - (16 * MB + 100 * MB);
    expect(p.maxSessions).toBe(1 + Math.floor(spare / 4 / (16 * MB)));
    expect(p.maxSessions * 16 * MB + 2 * p.groupBytes).toBeLessThanOrEqual(1000 * MB);
    expect(p.groupBytes).toBeGreaterThanOrEqual(50 * MB);
  });

  it('models without weights: groups get half the budget each', () => {
    expect(planMemory(100 * MB, { fp32: 0, int8: 0 }, 1 * MB).groupBytes).toBe(50 * MB);
  });

  it('weightBytes sums the initializers (elements × dtype width)', () => {
    const dir = tmpDir('weights-');
    const { fp32, int8 } = weightHeavyPair(dir, 64, 3);
    expect(weightBytes(loadModel(fp32))).toBe(3 * 64 * 64 * 4);
    expect(weightBytes(loadModel(int8))).toBe(3 * 64 * 64 * 4 + 4 + 1); // + float scale + int8 zero point
  });
});

describe.skipIf(!fs.existsSync('/proc/self/status'))('--max-memory on a weight-heavy pair (4 × 4 MB weights per model)', () => {
  let pair: ReturnType<typeof weightHeavyPair>;
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('maxmem-');
    pair = weightHeavyPair(dir, 1024, 4);
  });

  it('warns once that 1 MB is under the floor, costs no more memory than no budget, same metrics', async () => {
    const runWith = async (extra: string[]) => {
      const json = path.join(dir, `r${extra.length}.json`);
      const r = await runCliMeasured(['run', '--fp32', pair.fp32, '--int8', pair.int8, '--input', 'random:0', '--input', 'random:1', '-q', '--json', json, ...extra]);
      expect(r.status, r.stderr).toBe(0);
      const rows = JSON.parse(fs.readFileSync(json, 'utf8')).candidates[0].rows.map((x: { name: string; metrics: unknown }) => [x.name, x.metrics]);
      return { rows, peak: r.peakRssMB, warnings: r.stderr.split('\n').filter((l) => l.startsWith('warning:')) };
    };
    const free = await runWith([]);
    const bounded = await runWith(['--max-memory', '1']);
    expect(bounded.rows).toEqual(free.rows);
    expect(free.warnings).toEqual([]);
    expect(bounded.warnings).toHaveLength(1);
    expect(bounded.warnings[0]).toMatch(/--max-memory 1\.0 MB is under what these models need at least \(32 MB of weights, one session per model, and two fetch groups of 16 MB\): running with 64 MB/);
    process.stdout.write(`weight-heavy: peak RSS ${free.peak.toFixed(0)} MB without a budget, ${bounded.peak.toFixed(0)} MB with --max-memory 1\n`);
    // One session per model at a time against three at once without a budget. glibc's per-thread
    // arenas make peak RSS vary by tens of MB from run to run, hence the slack.
    expect(bounded.peak).toBeLessThanOrEqual(free.peak + 48);
  });
});
