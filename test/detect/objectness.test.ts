import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadAnalysisResult } from '../../src/detect/head-analysis.js';
import { VERDICT_THRESHOLDS } from '../../src/detect/verdict.js';
import { ROOT, pythonWith, tmpDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

type Found = Extract<HeadAnalysisResult, { found: true }>;

/**
 * The objectness finding on YOLOv5- and YOLOX-style heads whose objectness is distributed like a
 * trained detector's (goldens/detect/make_heads.py, calibrate_objectness: most anchors background
 * at ~0.007, a few percent objects at ~0.8), quantized by onnxruntime: clean, class / box /
 * objectness faults, and a copy with every op quantized (YOLOv5: the output Concat of pixels and
 * probabilities under one scale). What happened to the objects is measured independently
 * (goldens/detect/head_reference.py: onnxruntime-python + numpy): objectness recall and precision
 * at conf. The rules (docs/detection.md, "Why the objectness numbers") say "collapse" for a factor
 * of 2; these models show it on both sides of the threshold.
 */
const py = pythonWith('torch', 'onnx', 'onnxruntime', 'numpy');

interface RefObj {
  model: string;
  objectness: { sqnrDb: number; max: { fp32: number; int8: number; ratio: number }; above: { fp32: number; int8: number } };
  truth: { objectnessRecall: number; objectnessPrecision: number; detectionF1: number };
}

describe.skipIf(!py.ok)('objectness finding on trained-like objectness (YOLOv5, YOLOX)', () => {
  if (!py.ok) console.log(`skipping objectness tests: ${py.reason}`);
  let dir = '';
  let meta: { inputs: string[]; families: Record<string, { fp32: string; int8: string; int8_all: string; faults: Record<string, { model: string }> }> };
  beforeAll(() => {
    dir = tmpDir('objectness-');
    const r = spawnSync('python3', [path.join(ROOT, 'goldens/detect/make_heads.py'), dir, 'yolov5,yolox'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_heads.py failed: ${r.stderr}`);
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'heads.json'), 'utf8'));
  }, 240_000);

  const at = (f: string) => path.join(dir, f);

  for (const [family, allOps] of [['yolov5', ['class']], ['yolox', []]] as const) {
    it(`${family}: objectness named for the objectness fault only; not for an all-ops copy that keeps the objects; measures = numpy`, { timeout: 240_000 }, () => {
      const f = meta.families[family]!;
      const int8 = [f.int8, f.faults.class!.model, f.faults.box!.model, f.faults.objectness!.model, f.int8_all].map(at);
      const inputs = meta.inputs.map(at);
      const json = at(`${family}.json`);
      const r = runCli(['run', '--fp32', at(f.fp32), '--int8', ...int8, '-i', ...inputs, '--json', json, '-q']);
      expect(r.status, r.stderr).toBe(0);
      const heads = (JSON.parse(fs.readFileSync(json, 'utf8')) as { candidates: { analyses: { head: Found } }[] }).candidates.map((c) => c.analyses.head);
      expect(heads[0]!.head).toMatchObject({ source: 'auto', family, layout: { objectness: 4 } });
      expect(heads.map((h) => h.verdict!.findings)).toEqual([[], ['class'], ['box'], ['objectness'], allOps]);
      expect(r.stdout).toMatch(new RegExp(`VERDICT: objectness collapse — starts at /(m\\.0|obj_preds\\.0)/Conv_output_0`));

      const out = at(`ref-${family}.json`);
      const ref = spawnSync('python3', [path.join(ROOT, 'goldens/detect/head_reference.py'), out, '--layout', family, '--fp32', at(f.fp32), '--int8', ...int8, '--inputs', ...inputs], { encoding: 'utf8' });
      if (ref.status !== 0) throw new Error(`head_reference.py failed: ${ref.stderr}`);
      const refs = (JSON.parse(fs.readFileSync(out, 'utf8')) as { candidates: RefObj[] }).candidates;
      heads.forEach((h, k) => {
        const o = h.output!.objectness!, e = refs[k]!.objectness, what = path.basename(int8[k]!);
        expect(Math.abs(o.sqnrDb - e.sqnrDb), `${what} objectness SQNR ${o.sqnrDb} vs numpy ${e.sqnrDb}`).toBeLessThan(0.01);
        expect(Math.abs(o.max.fp32 - e.max.fp32) + Math.abs(o.max.int8 - e.max.int8) + Math.abs(o.max.ratio - e.max.ratio), `${what} max objectness`).toBeLessThan(1e-5);
        expect(o.above, `${what} anchors with objectness above conf`).toEqual(e.above);
      });

      // The verdict against what happened to the objects (numpy): the clean copy keeps them...
      const [clean, , , objFault, all] = refs;
      expect(clean!.truth.objectnessRecall).toBeGreaterThanOrEqual(0.9);
      expect(clean!.objectness.sqnrDb).toBeGreaterThan(20); // trained-like objectness: 21-28 dB healthy, not the 34-42 dB of random heads
      // ...the objectness fault loses or invents many (recall or precision under 0.75)...
      expect(Math.min(objFault!.truth.objectnessRecall, objFault!.truth.objectnessPrecision)).toBeLessThan(0.75);
      expect(objFault!.objectness.sqnrDb).toBeLessThan(VERDICT_THRESHOLDS.objectnessSqnrDb);
      // ...and the all-ops copy keeps every object (recall 1.00): not an objectness collapse.
      expect(all!.truth.objectnessRecall).toBeGreaterThanOrEqual(0.95);
      expect(heads[4]!.verdict!.findings).not.toContain('objectness');
      if (family === 'yolov5') {
        // The output Concat rounds objectness to its pixel-sized step: 10 dB, between the factor-2
        // line (6 dB) and the former 12 dB, which called this copy an objectness collapse.
        expect(all!.objectness.sqnrDb).toBeGreaterThan(6);
        expect(all!.objectness.sqnrDb).toBeLessThan(12);
      }
    });
  }
});
