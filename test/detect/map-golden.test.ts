import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { cocoMap, type PredictedBox } from '../../src/detect/coco-map.js';
import type { DetectionsFile } from '../../src/detect/detections-file.js';
import { groundTruthOf } from '../../src/detect/yolo-labels.js';
import { iou } from '../../src/detect/boxes.js';
import { runBuilder, runComparison } from '../../src/cli/commands/run.js';
import { parseRunOptions } from '../../src/cli/run-options.js';
import { ROOT, SHARED, YOLO, hasShared, tmpDir } from '../helpers/paths.js';

const G = path.join(ROOT, 'goldens/detect');
const LABELS = path.join(SHARED, 'coco128/labels/val2017');

const readDetections = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as DetectionsFile;
/** One model's detections of a --save-detections file as evaluator input. */
const predictedBoxes = (m: DetectionsFile['models'][number]): PredictedBox[] =>
  m.detections.map((d) => ({ image: d.image_id, cls: d.category_id, score: d.score, bbox: d.bbox as PredictedBox['bbox'] }));

/**
 * goldens/detect/coco8_detections.json: `trt-diff run --save-detections` on the 8 images of
 * coco8.txt (FP32 and the entropy INT8 model); coco8_map.json: pycocotools' mAP of that file
 * (goldens/detect/map_eval.py). See goldens/detect/README.md.
 */
describe.skipIf(!hasShared)('mAP against pycocotools', () => {
  const file = readDetections(path.join(G, 'coco8_detections.json'));
  const golden = JSON.parse(fs.readFileSync(path.join(G, 'coco8_map.json'), 'utf8')) as { models: Record<string, { map50: number; map50_95: number }> };

  it('src/detect/coco-map.ts gives pycocotools\' numbers on the same detections', () => {
    const gts = groundTruthOf(file.images, LABELS);
    expect(gts.length).toBeGreaterThan(20);
    for (const m of file.models) {
      const r = cocoMap(gts, predictedBoxes(m), file.images.map((i) => i.id));
      expect(r.map50, m.name).toBeCloseTo(golden.models[m.name]!.map50, 9);
      expect(r.map50_95, m.name).toBeCloseTo(golden.models[m.name]!.map50_95, 9);
    }
    expect(golden.models.fp32!.map50).toBeGreaterThan(0.3); // a sanity floor, not the check
  });

  it('the pipeline regenerates the committed FP32 detections (decode, NMS, letterbox)', async () => {
    // What made the file: run --labels --save-detections (decoded at mAP settings, conf 0.001 / IoU 0.7).
    const out = path.join(tmpDir('map-golden-'), 'detections.json');
    const argv = runBuilder(yargs([])).parseSync(['--fp32', YOLO.fp32, '--int8', YOLO.fp32, '-i', path.join(G, 'coco8.txt'), '--labels', LABELS, '--save-detections', out, '--no-perturbation-check']);
    await runComparison(parseRunOptions(argv));
    const saved = readDetections(out);
    expect(saved.decode).toEqual(file.decode);
    expect(saved.images.map((i) => [path.basename(i.file), i.width, i.height])).toEqual(file.images.map((i) => [path.basename(i.file), i.width, i.height]));
    const fresh = { detections: predictedBoxes(saved.models.find((m) => m.name === 'fp32')!) };
    const committed = predictedBoxes(file.models.find((m) => m.name === 'fp32')!);
    // Confident detections must agree one to one; near conf 0.001 a last-bit difference between
    // CPUs may add or drop a candidate, so those are not compared.
    const confident = (l: PredictedBox[]) => l.filter((d) => d.score > 0.05);
    const a = confident(fresh.detections), b = confident(committed);
    expect(a.length).toBe(b.length);
    const xyxy = (d: PredictedBox) => [d.bbox[0], d.bbox[1], d.bbox[0] + d.bbox[2], d.bbox[1] + d.bbox[3]] as [number, number, number, number];
    for (const d of a) {
      const m = b.find((x) => x.image === d.image && x.cls === d.cls && Math.abs(x.score - d.score) < 1e-4 && iou(xyxy(x), xyxy(d)) > 0.999);
      expect(m, `image ${d.image} class ${d.cls} score ${d.score}`).toBeDefined();
    }
  });
});
