import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/paths.js';
import { expectOneLineUserError, runCli } from '../helpers/cli.js';

/** calibrate / calibrators flags on a command line, on the two-conv golden model and its .npy folder. */
const MODEL = path.join(ROOT, 'goldens/quant/two_conv.onnx');
const NPY_DIR = path.join(ROOT, 'goldens/quant/inputs');

describe('calibrate and calibrators flags', () => {
  it('calibrate --sweep --keep keeps every combination\'s cache; --percentile and --batch are validated', () => {
    const keep = path.join(tmpDir('cal-flags-'), 'kept');
    const r = runCli(['calibrate', '--model', MODEL, '--images', NPY_DIR, '--calibrator', 'minmax', '--sweep', 'batch=1,2', '--keep', keep, '--score-channels', '1:2']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(keep).filter((f) => f.endsWith('.cache'))).toHaveLength(2);
    for (const [flag, v, what] of [['--percentile', '200', 'a number above 0 and at most 100'], ['--batch', '0', 'an integer of at least 1']]) {
      const bad = runCli(['calibrate', '--model', MODEL, '--images', NPY_DIR, '--cache', path.join(keep, 'x.cache'), flag!, v!]);
      expect(bad.status, flag).toBe(2);
      expect(bad.stderr.trim()).toBe(`trt-diff: Expected ${what} for ${flag} but received ${v}`);
    }
  });

  it('calibrators --output names the scored output (unknown names refused); --score-channels picks its rows; --json - prints the report', () => {
    const out = tmpDir('calibrators-flags-');
    const r = runCli(['calibrators', '--model', MODEL, '--images', NPY_DIR, '--out', out, '--calibrators', 'minmax', '--output', 'y', '--score-channels', '1:2', '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { fp32: { output: string }; calibrators: { channels: { range: [number, number | null] } }[] };
    expect(report.fp32.output).toBe('y');
    expect(report.calibrators[0]!.channels.range).toEqual([1, 2]);
    expectOneLineUserError(runCli(['calibrators', '--model', MODEL, '--images', NPY_DIR, '--out', out, '--output', 'nope']), MODEL, /model has no output "nope" \(outputs: y\)/);
  });
});
