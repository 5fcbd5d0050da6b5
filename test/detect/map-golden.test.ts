import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/graph/onnx-model.js';
import { cocoMap, type PredictedBox } from '../../src/detect/coco-map.js';
import { predictedBoxes, readDetectionsFile } from '../../src/detect/detections-file.js';
import { groundTruthOf } from '../../src/detect/yolo-labels.js';
import { predictDetections } from '../../src/detect/predict.js';
import { discoverHead } from '../../src/detect/head-discovery.js';
import { buildLogicalGraph } from '../../src/detect/logical-graph.js';
import { iou } from '../../src/detect/boxes.js';
import { ROOT, SHARED, YOLO, hasShared } from '../helpers/paths.js';

const G = path.join(ROOT, 'goldens/detect');
const LABELS = path.join(SHARED, 'coco128/labels/val2017');

/**
 * goldens/detect/coco8_detections.json: `trt-diff run --save-detections` on the 8 images of
 * coco8.txt (FP32 and the entropy INT8 model); coco8_map.json: pycocotools' mAP of that file
 * (goldens/detect/map_eval.py). See goldens/detect/README.md.
 */
describe.skipIf(!hasShared)('mAP against pycocotools', () => {
  const file = readDetectionsFile(path.join(G, 'coco8_detections.json'));
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
    const model = loadModel(YOLO.fp32);
    const layout = discoverHead(buildLogicalGraph(model.proto.graph!))!.layout!;
    const fresh = await predictDetections(model, layout, [path.join(G, 'coco8.txt')], file.decode);
    expect(fresh.images.map((i) => [path.basename(i.file), i.width, i.height])).toEqual(file.images.map((i) => [path.basename(i.file), i.width, i.height]));
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
