import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { runBuilder, runComparison } from '../../src/cli/commands/run.js';
import { parseRunOptions } from '../../src/cli/run-options.js';
import type { HeadAnalysisResult } from '../../src/detect/head-analysis.js';
import { ROOT, pythonWith, tmpDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

type Found = Extract<HeadAnalysisResult, { found: true }>;

/**
 * Every head family on small torch-exported detectors (goldens/detect/make_heads.py), quantized by
 * onnxruntime (QDQ), with faults whose answer is known by construction: the int8 weights of one
 * branch's last layer (or of one branch's output channels of a shared conv) requantised 200x
 * coarser. The right verdict is the faulted branch; the clean copy is "ok".
 */
const py = pythonWith('torch', 'onnx', 'onnxruntime', 'numpy');
if (!py.ok) console.warn(`skipping head-family tests: ${py.reason}`);

interface Meta { inputs: string[]; priors: string; families: Record<string, { fp32: string; int8: string; faults: Record<string, { model: string }> }> }

describe.skipIf(!py.ok)('detector head families (torch-exported, ORT-quantized)', () => {
  let dir = '';
  let meta: Meta;
  beforeAll(() => {
    dir = tmpDir('heads-');
    const r = spawnSync('python3', [path.join(ROOT, 'goldens/detect/make_heads.py'), dir, 'yolov8,yolov10,yolov5,yolox,ssd,ssd_raw,detr,fastestdet'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_heads.py failed: ${r.stderr}`);
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'heads.json'), 'utf8')) as Meta;
  }, 240_000);

  /** FP32 vs [clean INT8, each fault], on the generated inputs; results by name. */
  async function compare(family: string, head?: string): Promise<Record<string, Found>> {
    const f = meta.families[family]!;
    const faults = Object.keys(f.faults);
    const argv = await runBuilder(yargs([])).parse(['--fp32', path.join(dir, f.fp32), '--int8', path.join(dir, f.int8), ...faults.map((k) => path.join(dir, f.faults[k]!.model)),
      '-i', ...meta.inputs.map((i) => path.join(dir, i)), ...(head ? ['--head', head] : [])]);
    const report = await runComparison(parseRunOptions(argv));
    return Object.fromEntries(['clean', ...faults].map((name, k) => [name, report.candidates[k]!.analyses.head as Found]));
  }

  const cases: [family: string, expectedFamily: string, faults: Record<string, string>][] = [
    ['yolov8', 'yolov8', { class: 'classness collapse', box: 'box drift' }],
    ['yolov10', 'yolov10', { class: 'classness collapse', box: 'box drift' }],
    ['yolov5', 'yolov5', { class: 'classness collapse', box: 'box drift', objectness: 'objectness collapse' }],
    ['yolox', 'yolox', { class: 'classness collapse', box: 'box drift', objectness: 'objectness collapse' }],
    ['ssd', 'ssd', { class: 'classness collapse', box: 'box drift' }],
    ['detr', 'detr', { class: 'classness collapse', box: 'box drift' }],
    ['fastestdet', 'fastestdet', { class: 'classness collapse', box: 'box drift', objectness: 'objectness collapse' }],
  ];
  for (const [family, expectedFamily, faults] of cases) {
    it(`${family}: head found from the graph; clean INT8 ok, each fault names its branch`, { timeout: 120_000 }, async () => {
      const r = await compare(family);
      expect(r.clean!.found).toBe(true);
      expect(r.clean!.head.source).toBe('auto');
      expect(r.clean!.head.family).toBe(expectedFamily);
      expect(r.clean!.head.layout).not.toBeNull();
      expect(r.clean!.head.counts.box).toBeGreaterThan(0);
      expect(r.clean!.head.counts.class).toBeGreaterThan(0);
      expect(r.clean!.verdict!.verdict).toBe('ok');
      for (const [fault, verdict] of Object.entries(faults)) expect([fault, r[fault]!.verdict!.verdict]).toEqual([fault, verdict]);
    });
  }

  it('ssd with raw box deltas: found but not decodable (and why), branch analysis still there; decodes with --head ssd,priors=', { timeout: 180_000 }, async () => {
    const auto = await compare('ssd_raw');
    expect(auto.clean!.head.family).toBe('ssd');
    expect(auto.clean!.head.layout).toBeNull();
    expect(auto.clean!.head.why).toMatch(/raw deltas.*--head ssd,priors=/);
    expect(auto.clean!.verdict).toBeNull();
    expect(auto.clean!.branches.find((b) => b.label === 'box')!.tensors).toBeGreaterThan(0);
    const withPriors = await compare('ssd_raw', `ssd,format=priors,priors=${path.join(dir, meta.priors)}`);
    expect(withPriors.clean!.head.source).toBe('manual');
    expect(withPriors.clean!.head.layout!.boxFormat).toBe('priors');
    expect(withPriors.clean!.verdict!.verdict).toBe('ok');
    expect(withPriors.class!.verdict!.verdict).toBe('classness collapse');
    expect(withPriors.box!.verdict!.verdict).toBe('box drift');
  });

  it('a one-class detector with a background column: background is not a class, a collapsed score is classness collapse', { timeout: 120_000 }, async () => {
    const r = await compare('ssd');
    expect(r.clean!.head.layout!.background).toBe(0);
    // With background counted as a class every anchor (84 per input) would be above conf; the face-class probability is not.
    const o = r.clean!.output!;
    expect(o.anchorsAboveConf.fp32).toBeGreaterThan(0);
    expect(o.anchorsAboveConf.fp32).toBeLessThan(84 * meta.inputs.length);
    expect(r.class!.verdict!.findings).toEqual(['class']);
  });

  it('yolov10 by preset: the same head as discovered, no NMS, score-sorted slots paired by overlap', { timeout: 120_000 }, async () => {
    const r = await compare('yolov10', 'yolov10');
    expect(r.clean!.head.source).toBe('manual');
    expect(r.clean!.head.layout).toMatchObject({ family: 'yolov10', classChannel: 5, nms: false, boxFormat: 'xyxy' });
    expect(r.clean!.verdict!.verdict).toBe('ok');
    expect(r.box!.verdict!.verdict).toBe('box drift');
    expect(r.class!.verdict!.verdict).toBe('classness collapse');
  });

  it('CLI: --head PRESET,key=value decodes and prints the verdict; --head off; a bad --head is one line, exit 2', { timeout: 180_000 }, () => {
    const f = meta.families.ssd_raw!;
    const base = ['run', '--fp32', path.join(dir, f.fp32), '--int8', path.join(dir, f.faults.box!.model), '-i', path.join(dir, meta.inputs[0]!)];
    const ok = runCli([...base, '--head', `ssd,format=priors,priors=${path.join(dir, meta.priors)},variances=0.1/0.2`]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('detector head (manual) of ssd_raw_box.onnx: ssd: boxes=boxes scores=scores AxC (priors; background=0)');
    expect(ok.stdout).toContain('VERDICT: box drift — starts at /loc.0/loc.0.1/Conv_output_0');
    const off = runCli([...base, '--head', 'off']);
    expect(off.status).toBe(0);
    expect(off.stdout).not.toContain('detector head');
    const bad = runCli([...base, '--head', 'ssd,format=priors']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('format=priors needs priors=<file.npy>');
  });
});
