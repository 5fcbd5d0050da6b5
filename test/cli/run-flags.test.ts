import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_THREADS } from '../../src/cli/flag-values.js';
import { iou } from '../../src/detect/boxes.js';
import { SHARED, YOLO, hasShared, tmpDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { affinePair } from '../robustness/fixtures.js';

/**
 * The `run` flags outside the input group, each run and its effect checked (input flags:
 * test/inputs/input-flags.test.ts). The affine pair y = Relu(2x + 1), x quantized at scale 0.05,
 * keeps these fast; detection flags need the YOLOv8n models of ../shared.
 */
let dir: string, fx: ReturnType<typeof affinePair>;
beforeAll(() => { dir = tmpDir('run-flags-'); fx = affinePair(dir); });

interface Row { name: string; metrics: { sqnrDb: number; cosine: number } }
interface Json { samples: string[]; candidates: { rows: Row[]; firstDivergence: { tensor: string } | null; perturbation: unknown; analyses: Record<string, unknown> }[] }
function runJson(args: string[]): Json {
  const r = runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, '--json', '-', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
}
const tableRows = (stdout: string) => stdout.split('\n').filter((l) => /^│\s+\d+ │/.test(l));
/** The tensor column of a table row (│ # │ op │ tensor │ ...). */
const tensorOf = (row: string) => row.split('│')[3]!.trim();

describe('run: comparison, table and report flags', () => {
  it('--sqnr-threshold / --drop-db / --cosine-threshold decide the first divergence', () => {
    const base = runJson([]);
    expect(runJson(['--sqnr-threshold', '-1000', '--cosine-threshold', '-1']).candidates[0]!.firstDivergence).toBeNull();
    // Every tensor below 1000 dB and no drop needed: the first compared tensor diverges.
    expect(runJson(['--sqnr-threshold', '1000', '--drop-db', '0']).candidates[0]!.firstDivergence?.tensor).toBe(base.candidates[0]!.rows[0]!.name);
    // A 1000 dB drop is never met: nothing is "made here".
    expect(runJson(['--sqnr-threshold', '1000', '--drop-db', '1000']).candidates[0]!.firstDivergence?.tensor).not.toBe(base.candidates[0]!.rows[1]?.name);
  });

  it('--top, --sort, --filter and --quiet shape the table', () => {
    const table = (args: string[]) => tableRows(runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, ...args]).stdout);
    const all = table([]);
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(table(['--top', '1'])).toHaveLength(1);
    expect(table(['--top', '0'])).toHaveLength(all.length);
    expect(table(['--filter', '^y$']).map(tensorOf)).toEqual(['y']);
    const rows = runJson([]).candidates[0]!.rows.filter((r) => Number.isFinite(r.metrics.sqnrDb));
    const worst = [...rows].sort((a, b) => a.metrics.sqnrDb - b.metrics.sqnrDb)[0]!.name;
    expect(tensorOf(table(['--sort', 'sqnr'])[0]!)).toBe(worst);
    const q = runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, '--quiet']);
    expect(q.status).toBe(0);
    expect(tableRows(q.stdout)).toHaveLength(0);
    expect(q.stdout.trim().length).toBeGreaterThan(0);
  });

  it('--json FILE writes the report; --json "" is refused', () => {
    const f = path.join(dir, 'r.json');
    expect(runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, '--json', f, '-q']).status).toBe(0);
    expect((JSON.parse(fs.readFileSync(f, 'utf8')) as Json).candidates[0]!.rows.length).toBeGreaterThan(0);
    const r = runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, '--json', '']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('trt-diff: Expected a file path or - (stdout) for --json but received nothing');
  });

  it('--quiet / --verbose set the one logger: "wrote" lines hidden by --quiet, timings only with --verbose', () => {
    const f = path.join(dir, 'v.json');
    const run = (...args: string[]) => runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, '--json', f, ...args]);
    const normal = run(), quiet = run('-q'), verbose = run('--verbose');
    for (const r of [normal, quiet, verbose]) expect(r.status, r.stderr).toBe(0);
    expect(normal.stderr).toContain(`wrote ${f}`);
    expect(normal.stderr).not.toContain('timing:');
    expect(quiet.stderr).toBe('');
    expect(verbose.stderr).toContain(`wrote ${f}`);
    expect(verbose.stderr).toMatch(/^timing: [\d.]+ s in all; \d+ model run\(s\) [\d.]+ s, comparing [\d.]+ s, dumps [\d.]+ s$/m);
  });

  it('--threads 1 gives the same numbers as the default; out-of-range values are refused before any model loads', () => {
    const strip = (j: Json) => j.candidates[0]!.rows.map((r) => [r.name, r.metrics.sqnrDb, r.metrics.cosine]);
    expect(strip(runJson(['--threads', '1']))).toEqual(strip(runJson([])));
    for (const v of ['0', '100000', 'abc', '1.5']) {
      const r = runCli(['run', '--fp32', path.join(dir, 'missing.onnx'), '--int8', fx.int8, '--threads', v]);
      expect(r.status, v).toBe(2);
      expect(r.stderr.trim()).toBe(`trt-diff: Expected an integer from 1 to ${MAX_THREADS} for --threads but received ${v === 'abc' ? '"abc"' : v}`);
    }
  });

  it('bad numeric and path values: one line in one shape, exit 2, nothing written', () => {
    const cases: [string[], string][] = [
      [['--max-memory', '-1'], 'Expected a number above 0 for --max-memory but received -1'],
      [['--max-memory', '0'], 'Expected a number above 0 for --max-memory but received 0'],
      [['--max-memory', 'abc'], 'Expected a number above 0 for --max-memory but received "abc"'],
      [['--max-images', '0'], 'Expected an integer of at least 1 for --max-images but received 0'],
      [['--top', '-2'], 'Expected an integer of at least 0 for --top but received -2'],
      [['--dump', ''], 'Expected a path for --dump but received nothing'],
      [['--imgsz', '48,192,3'], 'Expected N or H,W with sizes from 1 to 16384 for --imgsz but received "48,192,3"'],
      [['--mean', '0.5,0.5'], 'Expected 1 or 3 comma-separated numbers for --mean but received "0.5,0.5"'],
      [['--std', '0'], 'Expected non-zero numbers for --std but received "0"'],
      [['--pad-value', '300'], 'Expected a number from 0 to 255 for --pad-value but received 300'],
      [['--cosine-threshold', '2'], 'Expected a number from -1 to 1 for --cosine-threshold but received 2'],
      [['--input', 'x='], 'Expected [NAME=]SOURCE with SOURCE an image, folder, list.txt, x.npy, dump.arrow, random[:SEED] or const:VALUE for --input but received "x="'],
    ];
    for (const [args, msg] of cases) {
      const out = path.join(dir, `refused${args[0]}.json`);
      const r = runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, ...args, '--json', out]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toBe(`trt-diff: ${msg}`);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('--perturbation-check runs the uninstrumented INT8 model once; --no-perturbation-check skips it', () => {
    expect((runJson([]).candidates[0]!.perturbation as unknown[]).length).toBeGreaterThan(0);
    expect(runJson(['--no-perturbation-check']).candidates[0]!.perturbation).toEqual([]);
  });

  it('--polygraphy-json writes one runner per model', () => {
    const f = path.join(dir, 'pg.json');
    expect(runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, '--polygraphy-json', f, '-q']).status).toBe(0);
    expect((JSON.parse(fs.readFileSync(f, 'utf8')) as { lst: unknown[] }).lst).toHaveLength(2);
  });

  it('--engine-dir and --trt-cache belong to --backend tensorrt: refused with the default backend', () => {
    for (const flag of ['--engine-dir', '--trt-cache']) {
      const r = runCli(['run', '--fp32', fx.fp32, '--int8', fx.int8, '--input', fx.x, flag, path.join(dir, 'x')]);
      expect(r.status, flag).toBe(2);
      expect(r.stderr.trim()).toBe(`trt-diff: ${flag} applies to --backend tensorrt only`);
    }
  });
});

const COCO = path.join(SHARED, 'coco128');
describe.skipIf(!hasShared)('run: detection flags on YOLOv8n', () => {
  it('--conf / --iou / --save-detections / --labels: saved detections obey the thresholds, labels add mAP', () => {
    const a = path.join(dir, 'dets_a.json'), b = path.join(dir, 'dets_b.json'), report = path.join(dir, 'ya.json');
    const ra = runCli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--input', YOLO.bus, '-q', '--conf', '0.5', '--iou', '0.3', '--save-detections', a]);
    expect(ra.status, ra.stderr).toBe(0);
    // With --labels the saved detections use the mAP decode settings (conf 0.001), far below 0.5.
    const rb = runCli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--input', path.join(COCO, 'images/val2017'), '--max-images', '1', '-q',
      '--save-detections', b, '--labels', path.join(COCO, 'labels/val2017'), '--json', report]);
    expect(rb.status, rb.stderr).toBe(0);
    type Det = { image_id: number; category_id: number; bbox: number[]; score: number };
    const dets = (f: string) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { models: { name: string; detections: Det[] }[] }).models.find((m) => m.name === 'fp32')!.detections;
    const da = dets(a), db = dets(b);
    expect(da.length).toBeGreaterThan(0);
    expect(Math.min(...da.map((d) => d.score))).toBeGreaterThanOrEqual(0.5);
    expect(Math.min(...db.map((d) => d.score))).toBeLessThan(0.5);
    // --iou 0.3: class-wise NMS leaves no two boxes of one class and image overlapping more.
    const xyxy = (d: Det): [number, number, number, number] => [d.bbox[0]!, d.bbox[1]!, d.bbox[0]! + d.bbox[2]!, d.bbox[1]! + d.bbox[3]!];
    for (const p of da) for (const q of da) if (p !== q && p.image_id === q.image_id && p.category_id === q.category_id) expect(iou(xyxy(p), xyxy(q))).toBeLessThanOrEqual(0.3 + 1e-3);
    const head = (JSON.parse(fs.readFileSync(report, 'utf8')) as Json).candidates[0]!.analyses.head as { map?: { fp32: { map50: number } } };
    expect(head.map?.fp32.map50).toBeGreaterThan(0);
  }, 400_000);
});

describe('run: --head', () => {
  it('--head off turns the detection analysis off (auto reports "no head found" on a non-detector)', () => {
    expect((runJson([]).candidates[0]!.analyses.head as { found: boolean }).found).toBe(false);
    expect(runJson(['--head', 'off']).candidates[0]!.analyses.head).toBeUndefined();
  });
});
