import { describe, expect, it } from 'vitest';
import { cocoMap, linspace, COCO_IOU_THRESHOLDS, type GroundTruthBox, type PredictedBox } from '../../src/detect/coco-map.js';

const gt = (image: number, cls: number, x: number, y: number, w = 10, h = 10): GroundTruthBox => ({ image, cls, bbox: [x, y, w, h] });
const dt = (image: number, cls: number, score: number, x: number, y: number, w = 10, h = 10): PredictedBox => ({ image, cls, score, bbox: [x, y, w, h] });

describe('COCO 101-point AP', () => {
  it('thresholds are numpy.linspace', () => {
    expect(COCO_IOU_THRESHOLDS).toHaveLength(10);
    expect(COCO_IOU_THRESHOLDS[0]).toBe(0.5);
    expect(COCO_IOU_THRESHOLDS[9]).toBe(0.95);
    expect(linspace(0, 1, 101)[37]).toBe(37 * 0.01);
  });
  it('a perfect detection gives AP 1', () => {
    const r = cocoMap([gt(0, 0, 0, 0)], [dt(0, 0, 0.9, 0, 0)], [0]);
    expect(r.map50).toBeCloseTo(1, 12);
    expect(r.map50_95).toBeCloseTo(1, 12);
  });
  it('a false positive ranked first halves the precision: AP 0.5', () => {
    const r = cocoMap([gt(0, 0, 0, 0)], [dt(0, 0, 0.9, 50, 50), dt(0, 0, 0.8, 0, 0)], [0]);
    // rc = [0, 1], pr = [0, 0.5] → monotone [0.5, 0.5]: every recall point reads 0.5
    expect(r.map50).toBeCloseTo(0.5, 12);
  });
  it('half the objects found: recall points 0..0.50 score 1, the rest 0 → 51/101', () => {
    const r = cocoMap([gt(0, 0, 0, 0), gt(0, 0, 100, 100)], [dt(0, 0, 0.9, 0, 0)], [0]);
    expect(r.map50).toBeCloseTo(51 / 101, 12);
  });
  it('a box with IoU 0.62 counts at IoU .50/.55/.60 only: mAP50-95 = 0.3', () => {
    // [0,0,10,10] vs [0,0,10,6.2]: IoU = 62/100
    const r = cocoMap([gt(0, 0, 0, 0)], [dt(0, 0, 0.9, 0, 0, 10, 6.2)], [0]);
    expect(r.map50).toBeCloseTo(1, 12);
    expect(r.map50_95).toBeCloseTo(0.3, 12);
  });
  it('averages over classes with ground truth; detections of other classes do not count', () => {
    const gts = [gt(0, 0, 0, 0), gt(1, 1, 0, 0)];
    const dets = [dt(0, 0, 0.9, 0, 0), dt(0, 5, 0.95, 0, 0)]; // class 1 missed, class 5 has no ground truth
    const r = cocoMap(gts, dets, [0, 1]);
    expect(r.perClass.map((c) => c.cls)).toEqual([0, 1]);
    expect(r.map50).toBeCloseTo(0.5, 12);
  });
  it('a ground-truth box is matched once; the best-IoU box wins; maxDets cuts per image and class', () => {
    const gts = [gt(0, 0, 0, 0)];
    const dets = [dt(0, 0, 0.9, 1, 0), dt(0, 0, 0.8, 0, 0)]; // both match; the first (higher score) takes it
    expect(cocoMap(gts, dets, [0]).map50).toBeCloseTo(1, 12); // pr = [1, 0.5] → monotone keeps 1 at recall 1 (index 0)
    const cut = cocoMap(gts, [dt(0, 0, 0.9, 50, 50), dt(0, 0, 0.8, 0, 0)], [0], { iouThresholds: [0.5], recallPoints: linspace(0, 1, 101), maxDets: 1 });
    expect(cut.map50).toBe(0);
  });
});
