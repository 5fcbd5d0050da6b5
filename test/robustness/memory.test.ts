import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/paths.js';
import { runCli, runCliMeasured } from '../helpers/cli.js';
import { chainPair } from './fixtures.js';

/**
 * Streaming: a chain model with 2M-element activations, 10 links (80 MB of activations per model,
 * 160 MB per sample for the pair) compared with --max-memory 16. Peak RSS must not grow with the
 * number of samples (nothing is held across samples), and every element of every sample must have
 * been compared. The 2 GB version of this check is a benchmark (bench/memory.ts, bench/README.md).
 */
const N = 2_000_000, LINKS = 10;
let pair: { fp32: string; int8: string };
let dir: string;
beforeAll(() => {
  dir = tmpDir('memory-');
  pair = chainPair(dir, N, LINKS);
});

const hasProc = fs.existsSync('/proc/self/status');

describe.skipIf(!hasProc)('memory: streaming with --max-memory', () => {
  it('peak RSS stays flat from 1 to 4 samples, and all elements are compared', async () => {
    const runWith = async (samples: number) => {
      const json = path.join(dir, `mem${samples}.json`);
      const inputs = Array.from({ length: samples }, (_, k) => ['--input', `random:${k}`]).flat();
      const r = await runCliMeasured(['run', '--fp32', pair.fp32, '--int8', pair.int8, ...inputs, '--max-memory', '16', '-q', '--json', json]);
      expect(r.status, r.stderr).toBe(0);
      const rows = JSON.parse(fs.readFileSync(json, 'utf8')).candidates[0].rows as { metrics: { count: number } }[];
      expect(rows.length).toBe(LINKS + 2); // x, t0 (Identity), t1..t10
      for (const row of rows) expect(row.metrics.count).toBe(samples * N);
      return r.peakRssMB;
    };
    const one = await runWith(1);
    const four = await runWith(4);
    process.stdout.write(`memory: peak RSS ${one.toFixed(0)} MB (1 sample), ${four.toFixed(0)} MB (4 samples); activations ${(2 * (LINKS + 2) * N * 4 / 1e6).toFixed(0)} MB per sample\n`);
    // Holding the activations of 3 more samples would add 3 × 176 MB; streaming adds allocator noise only.
    expect(four - one).toBeLessThan(150);
  });
});

describe('memory: fetch groups change nothing but memory', () => {
  it('--max-memory 1 (one session per tensor group) gives the same metrics as one run per model', () => {
    // 10 MB tensors: over half of the smallest fetch group (16 MB, memory-budget.ts), so one per group.
    const small = chainPair(dir, 2_500_000, 4);
    const rowsOf = (extra: string[]) => {
      const json = path.join(dir, `groups${extra.length}.json`);
      const r = runCli(['run', '--fp32', small.fp32, '--int8', small.int8, '--input', 'random:3', '--input', 'random:4', '-q', '--json', json, ...extra]);
      expect(r.status, r.stderr).toBe(0);
      const rep = JSON.parse(fs.readFileSync(json, 'utf8'));
      return { rows: rep.candidates[0].rows.map((x: { name: string; metrics: unknown }) => [x.name, x.metrics]), runs: rep.timing.modelRuns as number };
    };
    const whole = rowsOf([]), grouped = rowsOf(['--max-memory', '1']);
    expect(grouped.runs).toBeGreaterThan(whole.runs);
    expect(grouped.rows).toEqual(whole.rows);
  });
});
