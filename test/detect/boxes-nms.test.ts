import { describe, expect, it } from 'vitest';
import { iou, unletterbox, xywhToXyxy, type Box, type Detection } from '../../src/detect/boxes.js';
import { nms } from '../../src/detect/nms.js';
import { cocoIou } from '../../src/detect/coco-map.js';
import { matchDetections, prf } from '../../src/detect/detection-match.js';

const det = (box: Box, score: number, cls = 0, anchor = 0): Detection => ({ box, score, cls, anchor });

describe('IoU', () => {
  it('matches closed forms', () => {
    expect(iou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 12); // overlap 1, union 4+4-1
    expect(iou([0, 0, 4, 4], [1, 1, 3, 3])).toBeCloseTo(4 / 16, 12); // contained
    expect(iou([0, 0, 1, 1], [1, 0, 2, 1])).toBe(0); // touching edges
    expect(iou([0, 0, 1, 1], [5, 5, 6, 6])).toBe(0);
    expect(iou([2, 3, 7, 9], [2, 3, 7, 9])).toBe(1);
  });
  it('COCO IoU on [x,y,w,h] agrees with the corner form', () => {
    expect(cocoIou([0, 0, 2, 2], [1, 1, 2, 2])).toBeCloseTo(1 / 7, 12);
    expect(cocoIou([10, 20, 30, 40], [25, 20, 30, 40])).toBeCloseTo(iou([10, 20, 40, 60], [25, 20, 55, 60]), 12);
  });
  it('converts centre boxes and undoes the letterbox', () => {
    expect(xywhToXyxy(10, 20, 4, 6)).toEqual([8, 17, 12, 23]);
    // 810x1080 picture in 640x640: scale 640/1080, padded left by (640-480)/2 = 80.
    const lb = { srcWidth: 810, srcHeight: 1080, scale: 640 / 1080, padLeft: 80, padTop: 0, width: 640, height: 640 };
    const b = unletterbox([80, 0, 560, 640], lb);
    b.forEach((v, i) => expect(v).toBeCloseTo([0, 0, 810, 1080][i]!, 9));
    expect(unletterbox([0, -5, 700, 10], lb)).toEqual([0, 0, 810, 10 / lb.scale]); // clipped to the picture
  });
});

describe('class-wise NMS', () => {
  const A = det([0, 0, 10, 10], 0.9), B = det([1, 1, 11, 11], 0.8), C = det([20, 20, 30, 30], 0.7), D = det([0, 0, 10, 10], 0.6, 1);
  it('suppresses same-class overlaps above the threshold only', () => {
    // IoU(A,B) = 81 / 119 ≈ 0.681
    expect(nms([B, C, A, D], { iou: 0.45, maxDet: 300 })).toEqual([A, C, D]);
    expect(nms([B, C, A, D], { iou: 0.7, maxDet: 300 })).toEqual([A, B, C, D]);
  });
  it('keeps the highest scores up to maxDet', () => {
    expect(nms([B, C, A, D], { iou: 0.45, maxDet: 2 })).toEqual([A, C]);
  });
});

describe('INT8 vs FP32 detections', () => {
  it('counts matches of the same class at IoU >= 0.5', () => {
    const ref = [det([0, 0, 10, 10], 0.9), det([20, 20, 30, 30], 0.8, 2)];
    const test = [det([0, 0, 10, 11], 0.7), det([20, 20, 30, 30], 0.6, 3), det([50, 50, 60, 60], 0.5)];
    const c = matchDetections(ref, test, 0.5);
    expect(c).toEqual({ tp: 1, ref: 2, test: 3 });
    const m = prf(c);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(1 / 2, 12);
    expect(m.f1).toBeCloseTo(0.4, 12);
    expect(prf({ tp: 0, ref: 0, test: 0 })).toEqual({ precision: 1, recall: 1, f1: 1 });
  });
});

describe('decoding both layouts', () => {
  it('CxA and AxC tensors of the same predictions decode to the same detections', async () => {
    const { headView, decodeDetections, DETECT_DEFAULTS } = await import('../../src/detect/decode.js');
    // 3 anchors, channels: cx cy w h s0 s1
    const rows = [[10, 50, 90], [10, 50, 90], [4, 8, 10], [4, 8, 10], [0.9, 0.1, 0.3], [0.2, 0.8, 0.1]];
    const C = rows.length, A = 3;
    const cxa = Float32Array.from(rows.flat());
    const axc = Float32Array.from({ length: C * A }, (_, i) => rows[i % C]![Math.floor(i / C)]!);
    const layout = { family: 'yolov8', boxOutput: 'o', scoreOutput: 'o', boxes: { start: 0, end: 4 }, scores: { start: 4 }, boxFormat: 'xywh' as const, activation: 'none' as const, combine: 'mul' as const, nms: true };
    const size = { width: 100, height: 100 };
    const d1 = decodeDetections(headView({ name: 'o', dtype: 'float32', shape: [1, C, A], data: cxa }, { name: 'o', dtype: 'float32', shape: [1, C, A], data: cxa }, { ...layout, layout: 'CxA' }, size), DETECT_DEFAULTS);
    const d2 = decodeDetections(headView({ name: 'o', dtype: 'float32', shape: [1, A, C], data: axc }, { name: 'o', dtype: 'float32', shape: [1, A, C], data: axc }, { ...layout, layout: 'AxC' }, size), DETECT_DEFAULTS);
    expect(d1).toEqual(d2);
    // anchor 0: class 0 at 0.9, box 8..12; anchor 1: class 1 at 0.8; anchor 2: class 0 at 0.3 (> 0.25)
    expect(d1.map((d) => [d.anchor, d.cls, +d.score.toFixed(3)])).toEqual([[0, 0, 0.9], [1, 1, 0.8], [2, 0, 0.3]]);
    expect(d1[0]!.box).toEqual([8, 8, 12, 12]);
  });
});
