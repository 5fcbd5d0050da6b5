import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { YOLO, hasShared, tmpDir } from './helpers/paths.js';
import { runCli as cli } from './helpers/cli.js';

describe.skipIf(!hasShared)('trt-diff run (CLI, the main job)', () => {
  it('writes a JSON report with per-tensor metrics in topological order and a first divergence', () => {
    const json = path.join(tmpDir(), 'r.json');
    const r = cli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--input', YOLO.bus, '--json', json, '--top', '5']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/first divergence: \S+/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const rows = report.candidates[0].rows as { order: number; name: string; metrics: Record<string, unknown> }[];
    expect(rows.length).toBeGreaterThanOrEqual(200);
    expect(rows.map((x) => x.order)).toEqual([...rows.map((x) => x.order)].sort((a, b) => a - b));
    for (const k of ['cosine', 'maxAbs', 'meanAbs', 'rmse', 'sqnrDb', 'maxRel', 'nanCount', 'infCount']) expect(rows[5]!.metrics).toHaveProperty(k);
    expect(report.candidates[0].firstDivergence.tensor).toBe(rows.find((x) => x.name === report.candidates[0].firstDivergence.tensor)!.name);
    // --top 5: five data rows in the table (plus header and borders).
    expect(r.stdout.split('\n').filter((l) => /^│\s+\d+ │/.test(l)).length).toBe(5);
  });

  it('--json - prints pure JSON on stdout; --filter and --sort shape the table', () => {
    const r = cli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.collapsed, '--input', YOLO.bus, '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.candidates[0].summary.compared).toBeGreaterThanOrEqual(240);
    const t = cli(['compare', '--help']);
    expect(t.status).toBe(0);
  });

  it('bad input → one line naming the file, exit 2, no stack trace', () => {
    const dir = tmpDir();
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'definitely not protobuf');
    const trunc = path.join(dir, 'trunc.onnx');
    fs.writeFileSync(trunc, fs.readFileSync(YOLO.fp32).subarray(0, 100_000));
    const cases: [string[], RegExp][] = [
      [['run', '--fp32', path.join(dir, 'missing.onnx'), '--int8', YOLO.entropy], /missing\.onnx: file not found/],
      [['run', '--fp32', junk, '--int8', YOLO.entropy], /junk\.onnx: not a valid ONNX model/],
      [['run', '--fp32', trunc, '--int8', YOLO.entropy], /trunc\.onnx: not a valid ONNX model/],
      [['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--input', junk], /junk\.onnx: cannot decode image/],
      [['run', '--fp32', YOLO.fp32, '--int8', 'x.engine'], /x\.engine: TensorRT/],
      [['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--filter', '(['], /--filter is not a valid regular expression/],
    ];
    for (const [args, msg] of cases) {
      const dump = path.join(dir, `dump-${cases.indexOf([args, msg])}`);
      const r = cli([...args, '--dump', dump]);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(dump) ? fs.readdirSync(dump) : []).toEqual([]);
    }
  });
});
