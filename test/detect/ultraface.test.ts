import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { runBuilder, runComparison } from '../../src/cli/commands/run.js';
import { parseRunOptions } from '../../src/cli/run-options.js';
import type { HeadAnalysisResult } from '../../src/detect/head-analysis.js';
import { ROOT, YOLO, hasShared, pythonWith, tmpDir } from '../helpers/paths.js';

type Found = Extract<HeadAnalysisResult, { found: true }>;

/**
 * A public detector of another family: UltraFace version-RFB-320 (SSD-style face detector, MIT,
 * goldens/detect/ultraface/, fixtures/README.md), quantized by onnxruntime here
 * (goldens/detect/make_ultraface.py) on two pictures from ../shared, with faults whose answer is
 * known: the level-0 classification / regression head's last conv requantised 200x coarser.
 */
const py = pythonWith('onnx', 'onnxruntime', 'numpy', 'PIL');
const skip = !hasShared ? '../shared is absent' : !py.ok ? py.reason : '';
if (skip) console.warn(`skipping UltraFace tests: ${skip}`);

describe.skipIf(skip !== '')('UltraFace (public SSD-style face detector)', () => {
  let dir = '';
  let meta: { inputs: string[]; outputs: { class: string; box: string } };
  beforeAll(() => {
    dir = tmpDir('ultraface-');
    const r = spawnSync('python3', [path.join(ROOT, 'goldens/detect/make_ultraface.py'), dir, YOLO.zidane, YOLO.bus], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_ultraface.py failed: ${r.stderr}`);
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'ultraface.json'), 'utf8'));
  }, 240_000);

  it('discovered as SSD with a background column; clean INT8 ok; class and box faults named at the faulted conv', { timeout: 240_000 }, async () => {
    const names = ['int8', 'class', 'box', 'int8_all'];
    const argv = await runBuilder(yargs([])).parse(['--fp32', path.join(dir, 'ultraface_fp32.onnx'), '--int8', ...names.map((n) => path.join(dir, `ultraface_${n}.onnx`)),
      '-i', ...meta.inputs.map((i) => path.join(dir, i)), '--conf', '0.7']);
    const report = await runComparison(parseRunOptions(argv));
    const [clean, cls, box, all] = report.candidates.map((c) => c.analyses.head as Found);
    expect(clean!.head).toMatchObject({ source: 'auto', family: 'ssd' });
    expect(clean!.head.layout).toMatchObject({ boxOutput: 'boxes', scoreOutput: 'scores', boxFormat: 'xyxy-norm', background: 0 });
    // One class left once background is out: FP32 finds the faces, not every one of the 4420 anchors.
    expect(clean!.output!.anchorsAboveConf.fp32).toBeGreaterThan(0);
    expect(clean!.output!.anchorsAboveConf.fp32).toBeLessThan(100);
    expect(clean!.verdict!.verdict).toBe('ok');
    expect(all!.verdict!.verdict).toBe('ok'); // every op ORT quantizes (Softmax, Concat too): degraded boxes, no collapse
    expect(cls!.verdict!.verdict).toBe('classness collapse');
    expect(cls!.verdict!.start).toBe(meta.outputs.class);
    expect(box!.verdict!.verdict).toBe('box drift');
    expect(box!.verdict!.start).toBe(meta.outputs.box);
  });
});
