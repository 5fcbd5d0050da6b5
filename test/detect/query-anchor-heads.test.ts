import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadAnalysisResult } from '../../src/detect/head-analysis.js';
import type { HeadOutputSummary } from '../../src/detect/head-observer.js';
import { ROOT, pythonWith, tmpDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

type Found = Extract<HeadAnalysisResult, { found: true }>;

/**
 * RetinaNet-style and DETR/RT-DETR-style detectors end to end through the CLI: small torch exports
 * (goldens/detect/make_heads.py: RetinaNet with anchors decoded in the graph and with raw deltas +
 * logits; RT-DETR with sigmoid scores, with raw logits, and in one [1,Q,4+C] output), quantized by
 * onnxruntime (QDQ), with faults whose answer is known by construction (one branch's last layer
 * requantised 200x coarser; RetinaNet's class input read through a 1000x crushed Q/DQ scale).
 * Every output measure is checked against goldens/detect/head_reference.py, which decodes the same
 * models' outputs with onnxruntime-python + numpy from the definitions in docs/detection.md.
 */
const py = pythonWith('torch', 'onnx', 'onnxruntime', 'numpy');

interface Meta {
  inputs: string[];
  retina_priors: string;
  families: Record<string, { fp32: string; int8: string; int8_all?: string; faults: Record<string, { model: string; output: string }> }>;
}
interface RefCandidate {
  model: string; scoreSqnrDb: number; boxSqnrDb: number; maxScore: { fp32: number; int8: number; ratio: number };
  anchorsAboveConf: { fp32: number; int8: number }; topKOverlap: number; boxIouMedian: number; boxIou: { n: number; p10: number; share50_95: number };
  classAgreement: number; detections: { fp32: number; int8: number; tp: number; f1: number; f1_50_95: number };
}

describe.skipIf(!py.ok)('RetinaNet and DETR/RT-DETR heads through `trt-diff run`, numbers against numpy', () => {
  if (!py.ok) console.log(`skipping RetinaNet/RT-DETR tests: ${py.reason}`);
  let dir = '';
  let meta: Meta;
  beforeAll(() => {
    dir = tmpDir('query-anchor-');
    const r = spawnSync('python3', [path.join(ROOT, 'goldens/detect/make_heads.py'), dir, 'retinanet,retinanet_raw,rtdetr,rtdetr_logits,rtdetr_single'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_heads.py failed: ${r.stderr}`);
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'heads.json'), 'utf8')) as Meta;
  }, 240_000);

  const at = (f: string) => path.join(dir, f);
  const inputs = () => meta.inputs.map(at);

  /** The models compared: clean INT8, then the faults named, then the all-ops copy when asked. */
  function models(family: string, faults: string[], all = false): string[] {
    const f = meta.families[family]!;
    return [f.int8, ...faults.map((k) => f.faults[k]!.model), ...(all ? [f.int8_all!] : [])].map(at);
  }

  /** `trt-diff run` as a user runs it; the JSON report's head analysis of every candidate, and stdout. */
  function run(family: string, int8: string[], head?: string): { heads: Found[]; stdout: string } {
    const json = at(`${family}-${int8.length}-${head ? 'manual' : 'auto'}.json`);
    const r = runCli(['run', '--fp32', at(meta.families[family]!.fp32), '--int8', ...int8, '-i', ...inputs(), '--json', json, '-q', ...(head ? ['--head', head] : [])]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { candidates: { analyses: { head: Found } }[] };
    return { heads: report.candidates.map((c) => c.analyses.head), stdout: r.stdout };
  }

  /** The numpy reference for the same models. */
  function reference(layout: string, family: string, int8: string[], extra: string[] = []): RefCandidate[] {
    const out = at(`ref-${family}-${layout}.json`);
    const r = spawnSync('python3', [path.join(ROOT, 'goldens/detect/head_reference.py'), out, '--layout', layout, '--fp32', at(meta.families[family]!.fp32),
      '--int8', ...int8, '--inputs', ...inputs(), ...extra], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`head_reference.py failed: ${r.stderr}`);
    return (JSON.parse(fs.readFileSync(out, 'utf8')) as { candidates: RefCandidate[] }).candidates;
  }

  function expectReference(o: HeadOutputSummary, ref: RefCandidate, what: string): void {
    const close = (a: number, b: number, tol: number, name: string) => {
      if (Number.isNaN(b)) expect(a, `${what} ${name}`).toBeNaN();
      else expect(Math.abs(a - b), `${what} ${name}: ${a} vs numpy ${b}`).toBeLessThanOrEqual(tol);
    };
    close(o.scoreSqnrDb, ref.scoreSqnrDb, 0.01, 'class-score SQNR');
    close(o.boxSqnrDb, ref.boxSqnrDb, 0.01, 'box SQNR');
    close(o.maxScore.fp32, ref.maxScore.fp32, 1e-5, 'max score FP32');
    close(o.maxScore.int8, ref.maxScore.int8, 1e-5, 'max score INT8');
    close(o.maxScore.ratio, ref.maxScore.ratio, 1e-5, 'max score ratio');
    expect([o.anchorsAboveConf.fp32, o.anchorsAboveConf.int8], `${what} anchors above conf`).toEqual([ref.anchorsAboveConf.fp32, ref.anchorsAboveConf.int8]);
    close(o.topK.overlap, ref.topKOverlap, 1e-9, 'top-k overlap');
    expect(o.boxIou.n, `${what} boxes compared`).toBe(ref.boxIou.n);
    close(o.boxIouMedian, ref.boxIouMedian, 1e-5, 'box IoU median');
    close(o.boxIou.p10, ref.boxIou.p10, 1e-5, 'box IoU p10');
    close(o.boxIou.share50_95, ref.boxIou.share50_95, 1e-9, 'box IoU share .50:.95');
    close(o.classAgreement, ref.classAgreement, 1e-9, 'same class');
    expect([o.detections.fp32, o.detections.int8, o.detections.tp], `${what} detections FP32/INT8/matched`).toEqual([ref.detections.fp32, ref.detections.int8, ref.detections.tp]);
    close(o.detections.f1, ref.detections.f1, 1e-9, 'F1');
    close(o.detections.f1_50_95, ref.detections.f1_50_95, 1e-9, 'F1 .50:.95');
  }

  it('RetinaNet, anchors decoded in the graph: found from the graph; clean and all-ops INT8 ok, class (weights, crushed scale) and box faults named; numbers = numpy', { timeout: 240_000 }, () => {
    const int8 = models('retinanet', ['class', 'box', 'class_scale'], true);
    const { heads, stdout } = run('retinanet', int8);
    const [clean, cls, box, crushed, all] = heads;
    expect(stdout).toContain('detector head (auto) of retinanet_int8.onnx: retinanet: boxes=boxes scores=scores AxC (xyxy)');
    // Scores leave the graph through its Sigmoid: probabilities, no second sigmoid; no background, no objectness.
    expect(clean!.head.layout).toMatchObject({ family: 'retinanet', boxOutput: 'boxes', scoreOutput: 'scores', boxFormat: 'xyxy', activation: 'none', nms: true });
    expect(clean!.head.layout!.background).toBeUndefined();
    expect(clean!.head.layout!.objectness).toBeUndefined();
    expect(clean!.head.counts.box).toBeGreaterThan(0);
    expect(clean!.head.counts.class).toBeGreaterThan(0);
    const faults = meta.families.retinanet!.faults;
    expect(heads.map((h) => h.verdict!.verdict)).toEqual(['ok', 'classness collapse', 'box drift', 'classness collapse', 'ok']);
    expect(cls!.verdict!.start).toBe(faults.class!.output);
    expect(box!.verdict!.start).toBe(faults.box!.output);
    expect(crushed!.verdict!.start).toBe(faults.class_scale!.output); // the tensor whose Q/DQ was crushed
    expect(all!.verdict!.findings).toEqual([]);
    const ref = reference('retinanet', 'retinanet', int8);
    heads.forEach((h, k) => expectReference(h.output!, ref[k]!, path.basename(int8[k]!)));
    // With the preset named, the graph's Sigmoid still counts: the same numbers, not sigmoid(sigmoid(x)).
    const preset = run('retinanet', int8.slice(0, 1), 'retinanet').heads[0]!;
    expect(preset.head.source).toBe('manual');
    expect(preset.head.layout!.activation).toBe('none');
    expectReference(preset.output!, ref[0]!, 'retinanet_int8 (--head retinanet)');
  });

  it('RetinaNet with raw deltas and logits: found but not decodable (and why); --head retinanet,priors= decodes with RetinaNet variances 1/1; numbers = numpy', { timeout: 240_000 }, () => {
    const int8 = models('retinanet_raw', ['class', 'box']);
    const auto = run('retinanet_raw', int8.slice(0, 1));
    expect(auto.heads[0]!.head).toMatchObject({ source: 'auto', family: 'retinanet', layout: null });
    expect(auto.heads[0]!.head.why).toMatch(/raw deltas.*--head retinanet,priors=<priors.npy>.*variances=1\/1/);
    expect(auto.heads[0]!.branches.find((b) => b.label === 'box')!.tensors).toBeGreaterThan(0);
    expect(auto.stdout).toContain('not decoded: the box output boxes is raw deltas');
    const priors = at(meta.retina_priors);
    const { heads, stdout } = run('retinanet_raw', int8, `retinanet,priors=${priors}`);
    expect(stdout).toContain('detector head (manual) of retinanet_raw_int8.onnx: retinanet: boxes=boxes scores=scores AxC (priors; sigmoid)');
    expect(heads[0]!.head.layout).toMatchObject({ boxFormat: 'priors', activation: 'sigmoid', variances: [1, 1] });
    expect(heads.map((h) => h.verdict!.verdict)).toEqual(['ok', 'classness collapse', 'box drift']);
    const ref = reference('retinanet-priors', 'retinanet_raw', int8, ['--priors', priors, '--variances', '1/1']);
    heads.forEach((h, k) => expectReference(h.output!, ref[k]!, path.basename(int8[k]!)));
    // Without priors the preset cannot decode raw deltas: one line, exit 2.
    const bad = runCli(['run', '--fp32', at(meta.families.retinanet_raw!.fp32), '--int8', int8[0]!, '-i', inputs()[0]!, '--head', 'retinanet']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('raw deltas');
  });

  it('RT-DETR, query boxes + sigmoid scores: found as rtdetr (no NMS); clean and all-ops ok, class and box faults named; numbers = numpy', { timeout: 240_000 }, () => {
    const int8 = models('rtdetr', ['class', 'box'], true);
    const { heads, stdout } = run('rtdetr', int8);
    expect(stdout).toContain('detector head (auto) of rtdetr_int8.onnx: rtdetr: boxes=boxes scores=scores AxC (cxcywh-norm; no NMS)');
    expect(heads[0]!.head.layout).toMatchObject({ family: 'rtdetr', boxFormat: 'cxcywh-norm', activation: 'none', nms: false });
    expect(heads[0]!.head.layout!.background).toBeUndefined();
    const faults = meta.families.rtdetr!.faults;
    expect(heads.map((h) => h.verdict!.verdict)).toEqual(['ok', 'classness collapse', 'box drift', 'ok']);
    expect(heads[1]!.verdict!.start).toBe(faults.class!.output);
    expect(heads[2]!.verdict!.start).toBe(faults.box!.output);
    const ref = reference('rtdetr', 'rtdetr', int8);
    heads.forEach((h, k) => expectReference(h.output!, ref[k]!, path.basename(int8[k]!)));
    const preset = run('rtdetr', int8.slice(0, 1), 'rtdetr').heads[0]!;
    expect(preset.head.layout!.activation).toBe('none');
    expectReference(preset.output!, ref[0]!, 'rtdetr_int8 (--head rtdetr)');
  });

  it('RT-DETR with raw logits: auto reads DETR (softmax, no-object column: the graph cannot tell them apart); --head rtdetr gives sigmoid, every column a class; numbers = numpy', { timeout: 240_000 }, () => {
    const int8 = models('rtdetr_logits', ['class', 'box']);
    const auto = run('rtdetr_logits', int8.slice(0, 1)).heads[0]!;
    expect(auto.head.layout).toMatchObject({ family: 'detr', activation: 'softmax', background: -1 });
    const { heads, stdout } = run('rtdetr_logits', int8, 'rtdetr');
    expect(stdout).toContain('detector head (manual) of rtdetr_logits_int8.onnx: rtdetr: boxes=boxes scores=logits AxC (cxcywh-norm; sigmoid, no NMS)');
    expect(heads[0]!.head.layout).toMatchObject({ family: 'rtdetr', activation: 'sigmoid', nms: false });
    expect(heads[0]!.head.layout!.background).toBeUndefined();
    expect(heads.map((h) => h.verdict!.verdict)).toEqual(['ok', 'classness collapse', 'box drift']);
    const ref = reference('rtdetr-logits', 'rtdetr_logits', int8);
    heads.forEach((h, k) => expectReference(h.output!, ref[k]!, path.basename(int8[k]!)));
  });

  it('RT-DETR in one output [1, Q, 4+C] (as Ultralytics exports it): found from the Sigmoid boxes, not read as YOLOv5; verdicts; numbers = numpy', { timeout: 240_000 }, () => {
    const int8 = models('rtdetr_single', ['class', 'box']);
    const { heads, stdout } = run('rtdetr_single', int8);
    expect(stdout).toContain('detector head (auto) of rtdetr_single_int8.onnx: rtdetr: output0 AxC boxes=0:4 scores=4:9 (cxcywh-norm; no NMS)');
    expect(heads[0]!.head.layout!.objectness).toBeUndefined();
    expect(heads[0]!.head.counts.box).toBeGreaterThan(0);
    expect(heads[0]!.head.counts.class).toBeGreaterThan(0);
    expect(heads.map((h) => h.verdict!.verdict)).toEqual(['ok', 'classness collapse', 'box drift']);
    const ref = reference('rtdetr-single', 'rtdetr_single', int8);
    heads.forEach((h, k) => expectReference(h.output!, ref[k]!, path.basename(int8[k]!)));
    // The preset alone finds the one output and reads its Sigmoid too.
    const preset = run('rtdetr_single', int8.slice(0, 1), 'rtdetr').heads[0]!;
    expect(preset.head.layout).toMatchObject({ scoreOutput: 'output0', activation: 'none', nms: false });
    expectReference(preset.output!, ref[0]!, 'rtdetr_single_int8 (--head rtdetr)');
  });
});
