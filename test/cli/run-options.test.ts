import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { runBuilder } from '../../src/cli/commands/run.js';
import { parseRunOptions } from '../../src/cli/run-options.js';
import { UserError } from '../../src/errors.js';

/** `run`'s argv as the command handler gets it (defaults filled in by yargs), parsed into RunOptions. */
const parse = (...flags: string[]) => parseRunOptions(runBuilder(yargs([])).parseSync(['--fp32', 'a.onnx', '--int8', 'b.onnx', ...flags]), () => {});
const refused = (f: () => unknown, msg: string) => {
  expect(f).toThrow(UserError);
  expect(f).toThrow(msg);
};

describe('run options: argv parsed once, at the edge', () => {
  it('defaults: ONNX Runtime, perturbation check on, the head analysis on (auto), no histograms, no local error', () => {
    const o = parse();
    expect(o.fp32).toBe('a.onnx');
    expect(o.int8).toEqual(['b.onnx']);
    expect(o.backend).toEqual({ kind: 'onnxruntime' });
    expect(o.perturbationCheck).toBe(true);
    expect(o.analyses.map((a) => a.name)).toEqual(['head']);
    expect(o.scaling).toEqual({ workers: undefined, shard: undefined, partial: undefined });
  });

  it('analyses enabled by their own flags, in registry order, with the files they write', () => {
    const o = parse('--html', 'r.html', '--local', '--save-detections', 'd.json');
    expect(o.analyses.map((a) => a.name)).toEqual(['histograms', 'local', 'head']);
    expect(o.analyses.flatMap((a) => a.outputs)).toEqual([{ flag: '--save-detections', path: 'd.json' }]);
    expect(parse('--head', 'off').analyses).toEqual([]);
    refused(() => parse('--conf', '1.5'), '--conf must be between 0 and 1, got 1.5');
  });

  it('every value checked before any work: scaling, backend, outputs, numbers', () => {
    expect(parse('--shard', '2/3', '--partial', 'p.json').scaling).toEqual({ workers: undefined, shard: { index: 1, count: 3 }, partial: 'p.json' });
    refused(() => parse('--shard', '4/3'), '--shard wants K/N with 1 <= K <= N, got "4/3"');
    refused(() => parse('--workers', '0'), 'for --workers but received 0');
    refused(() => parse('--engine-dir', 'e'), '--engine-dir applies to --backend tensorrt only');
    expect(parse('--backend', 'tensorrt', '--shapes', 'images:1x3x64x64').backend).toEqual({ kind: 'tensorrt', engineDir: undefined, calibrationCache: undefined, inputShapes: { images: [1, 3, 64, 64] } });
    refused(() => parse('--shapes', 'images:1xfour'), '--shapes "images:1xfour": write input:DIMS'); // refused on any backend, not ignored
    refused(() => parse('--filter', '('), '--filter is not a valid regular expression');
    refused(() => parse('--max-memory', '0'), 'Expected a number above 0 for --max-memory');
    expect(parse('--threads', '2', '--max-memory', '1').settings).toEqual({ threads: 2, maxBytesPerRun: 1 << 20 });
  });

  it('comparison flags: what shapes the comparison, output flags and aliases left out (a partial run keeps these)', () => {
    const f = parse('--json', 'r.json', '--top', '3', '-q', '--threads', '2', '--dump', 'd').comparisonFlags;
    expect(f).toMatchObject({ fp32: 'a.onnx', int8: ['b.onnx'], threads: 2, head: 'auto' });
    for (const k of ['json', 'top', 'quiet', 'q', 'dump', '_', '$0', 'maxImages', 'i']) expect(f).not.toHaveProperty(k);
  });
});
