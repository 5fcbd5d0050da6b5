import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { YOLO, hasShared, tmpDir } from '../helpers/paths.js';
import { runCli as cli } from '../helpers/cli.js';

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
    // The first divergence by its definition (docs/metrics.md): the earliest row, in topological order,
    // under the SQNR threshold (20 dB) whose error is made there (at least 3 dB below its inputs).
    const diverged = (x: { metrics: Record<string, unknown>; origin?: string; dropDb?: number | null }) =>
      (x.metrics.sqnrDb as number) < report.thresholds.sqnrThresholdDb && x.origin === 'made here' && (x.dropDb ?? 0) >= report.thresholds.dropDb;
    const byDefinition = (rows as Parameters<typeof diverged>[0][]).find(diverged) as { name: string } | undefined;
    expect(byDefinition, 'some tensor diverges on YOLOv8n entropy Q/DQ').toBeDefined();
    expect(report.candidates[0].firstDivergence.tensor).toBe(byDefinition!.name);
    // --top 5: five data rows in the table (plus header and borders).
    expect(r.stdout.split('\n').filter((l) => /^│\s+\d+ │/.test(l)).length).toBe(5);
  });

  it('--json - prints pure JSON on stdout; --filter and --sort shape the table', () => {
    const r = cli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.collapsed, '--input', YOLO.bus, '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.candidates[0].summary.compared).toBeGreaterThanOrEqual(240);
    // Same inputs, table only: --filter keeps rows whose tensor (or op) matches, --sort sqnr puts the
    // worst first, --top 4 keeps four: exactly the four lowest-SQNR /model.22/ rows of the JSON report.
    const t = cli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.collapsed, '--input', YOLO.bus, '--filter', '/model\\.22/', '--sort', 'sqnr', '--top', '4']);
    expect(t.status, t.stderr).toBe(0);
    const shown = t.stdout.split('\n').map((l) => /^│\s+(\d+) │/.exec(l)?.[1]).filter((x): x is string => !!x).map(Number);
    const rows = report.candidates[0].rows as { order: number; name: string; metrics: { sqnrDb: number } }[];
    const want = rows.filter((x) => /\/model\.22\//.test(x.name)).sort((a, b) => a.metrics.sqnrDb - b.metrics.sqnrDb).slice(0, 4);
    expect(shown).toHaveLength(4);
    expect(new Set(shown)).toEqual(new Set(want.map((x) => x.order)));
    const sqnrOf = (order: number) => rows.find((x) => x.order === order)!.metrics.sqnrDb;
    for (let i = 1; i < shown.length; i++) expect(sqnrOf(shown[i]!)).toBeGreaterThanOrEqual(sqnrOf(shown[i - 1]!));
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
    for (const [k, [args, msg]] of cases.entries()) {
      const dump = path.join(dir, `dump-${k}`);
      const r = cli([...args, '--dump', dump]);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(dump) ? fs.readdirSync(dump) : []).toEqual([]);
    }
  });
});
