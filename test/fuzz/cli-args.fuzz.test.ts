import * as path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { affinePair } from '../robustness/fixtures.js';
import { FUZZ_CLI_RUNS, FUZZ_SEED, reportCases } from './fuzz-config.js';

/**
 * The CLI argument parser on random command lines built from real flags and hostile values: the
 * process must end with 0 (it worked), 1 (a gate failed) or 2 (one-line user error), never 3
 * (internal error) or a signal, and never print a stack trace. Each case spawns the CLI, so the
 * count is small in CI (FUZZ_CLI_RUNS scales it).
 */
let dir: string;
let fx: ReturnType<typeof affinePair>;
beforeAll(() => {
  dir = tmpDir('fuzz-cli-');
  fx = affinePair(dir);
});

const FLAGS = ['--fp32', '--int8', '--input', '-i', '--max-images', '--imgsz', '--resize', '--pad-value', '--mean', '--std', '--top', '--sort',
  '--filter', '--json', '--max-memory', '--threads', '--sqnr-threshold', '--drop-db', '--cosine-threshold', '--bgr', '--nhwc', '--quiet', '--strict-inputs', '--dump', '--bogus'];
const HOSTILE = ['', '-1', '0', 'NaN', '1e309', '-0', '3.5', 'abc', '[', '(?<', '0,0', '1,2,3', 'letterbox', 'sqnr', 'random', 'random:x', 'random:7', '=', '--', 'x=', 'x=y.npy'];

function argvArb(): fc.Arbitrary<string[]> {
  const value = fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom('MODEL', 'INT8', 'NPY', 'JSON', 'DUMP'), fc.string({ maxLength: 8 }));
  const pair = fc.tuple(fc.constantFrom(...FLAGS), fc.option(value, { nil: undefined })).map(([f, v]) => (v === undefined ? [f] : [f, v]));
  return fc.tuple(fc.constantFrom('run', 'compare', 'inspect', 'bogus', ''), fc.array(pair, { maxLength: 6 }), fc.boolean())
    .map(([cmd, pairs, withModels]) => [
      ...(cmd ? [cmd] : []),
      ...(withModels && cmd === 'run' ? ['--fp32', 'MODEL', '--int8', 'INT8', '--input', 'NPY'] : []),
      ...pairs.flat(),
    ]);
}

describe('fuzz: CLI argument parser', () => {
  it('random command lines end in exit 0/1/2 with no stack trace', () => {
    let k = 0;
    fc.assert(fc.property(argvArb(), (args) => {
      const real = args.map((a) => ({ MODEL: fx.fp32, INT8: fx.int8, NPY: fx.x, JSON: path.join(dir, `r${k}.json`), DUMP: path.join(dir, `d${k}`) } as Record<string, string>)[a] ?? a);
      k++;
      const r = runCli(real);
      const where = `argv: ${JSON.stringify(real)}\nstatus ${r.status} signal ${r.signal}\nstderr: ${r.stderr}`;
      expect([0, 1, 2], where).toContain(r.status);
      expect(r.stderr, where).not.toMatch(/^\s+at\s|internal error/m);
      if (r.status === 2) {
        const lines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('warning:'));
        expect(lines.length === 1 || /Usage|Options|Commands|trt-diff <command>/.test(r.stderr), where).toBe(true);
      }
    }), { seed: FUZZ_SEED, numRuns: FUZZ_CLI_RUNS });
    reportCases('cli argv', FUZZ_CLI_RUNS);
  });
});
