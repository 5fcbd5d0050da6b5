import { describe, expect, it } from 'vitest';
import { judge } from '../../src/detect/verdict.js';
import type { BranchSummary, CurvePoint } from '../../src/detect/branch-divergence.js';
import type { DetectorHead } from '../../src/detect/head-discovery.js';
import type { HeadOutputSummary } from '../../src/detect/head-observer.js';

/** Hand-made summaries: each rule of docs/detection.md pinned at its threshold, independent of any model. */
function healthy(over: Partial<HeadOutputSummary> = {}): HeadOutputSummary {
  return {
    samples: 1, scoreSqnrDb: 15, scoreCosine: 0.99, boxSqnrDb: 30, boxCosine: 0.999, objectness: null,
    maxScore: { fp32: 0.9, int8: 0.9, ratio: 1 }, anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 100 },
    topK: { k: 100, overlap: 1 }, boxIouMedian: 0.97, boxIou: { n: 100, p10: 0.94, share50_95: 0.98 }, classAgreement: 1,
    detections: { conf: 0.25, nmsIou: 0.45, matchIou: 0.5, fp32: 5, int8: 5, tp: 5, precision: 1, recall: 1, f1: 1, f1_50_95: 0.95 },
    ...over,
  };
}
const pt = (tensor: string, order: number, sqnrDb: number, dropDb: number | null): CurvePoint => ({ tensor, order, sqnrDb, cosine: 1, dropDb });
function branch(label: BranchSummary['label'], curve: CurvePoint[]): BranchSummary {
  return { label, tensors: curve.length, curve, firstDivergence: null, worst: null, end: curve[curve.length - 1] ?? null };
}
const head = (merge: string | null = null): DetectorHead => ({
  source: 'auto', family: 'yolov8', roots: { box: ['b'], class: ['c'], objectness: [] }, boxRoot: 'b', classRoot: 'c', merge, trunkEnd: null, layout: null, labels: new Map(),
});
const branches = [
  branch('backbone', [pt('bb', 0, 40, 0)]),
  branch('box', [pt('box1', 1, 35, 1), pt('box2', 3, 2, 20)]),
  branch('class', [pt('cls1', 2, 30, 1), pt('cls2', 4, 3, 25)]),
];

describe('verdict rules', () => {
  it('anchor-ratio rule: INT8 keeping fewer than half of FP32 anchors above conf is classness collapse; exactly half is not', () => {
    expect(judge(healthy({ anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 49 } }), [], head()).verdict).toBe('classness collapse');
    expect(judge(healthy({ anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 50 } }), [], head()).verdict).toBe('ok');
    expect(judge(healthy({ anchorsAboveConf: { conf: 0.25, fp32: 0, int8: 0 } }), [], head()).verdict).toBe('ok'); // nothing to keep
  });

  it('max-score ratio, class SQNR and class agreement rules fire below their thresholds only', () => {
    expect(judge(healthy({ maxScore: { fp32: 0.9, int8: 0.44, ratio: 0.49 } }), [], head()).classDamaged).toBe(true);
    expect(judge(healthy({ maxScore: { fp32: 0.9, int8: 0.45, ratio: 0.5 } }), [], head()).classDamaged).toBe(false);
    expect(judge(healthy({ scoreSqnrDb: 2.9 }), [], head()).classDamaged).toBe(true);
    expect(judge(healthy({ classAgreement: 0.79 }), [], head()).classDamaged).toBe(true);
    expect(judge(healthy({ classAgreement: 0.8 }), [], head()).classDamaged).toBe(false);
  });

  it('origin: the class origin is reported first, then box, then objectness', () => {
    const both = judge(healthy({ scoreSqnrDb: 1, boxSqnrDb: 10 }), branches, head());
    expect(both.verdict).toBe('classness collapse + box drift');
    expect(both.origin.class!.tensor).toBe('cls2');
    expect(both.origin.box!.tensor).toBe('box2');
    expect(both.start).toBe('cls2');
    const boxOnly = judge(healthy({ boxSqnrDb: 10 }), [branches[0]!, branches[1]!], head());
    expect(boxOnly.verdict).toBe('box drift');
    expect(boxOnly.start).toBe('box2');
    // A class branch with its own catastrophic layer (cls2: 3 dB, 25 dB below its inputs) and class output under 20 dB is damaged too.
    expect(judge(healthy({ boxSqnrDb: 10 }), branches, head()).verdict).toBe('classness collapse + box drift');
  });

  it('merge origin: a branch root at least 3 dB better than its slice of the joined output puts the start at the merge', () => {
    const bs = [branch('class', [pt('cls1', 2, 30, 1), pt('root', 4, 20, 0)])];
    expect(judge(healthy({ scoreSqnrDb: 16.9, anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 0 } }), bs, head('out')).origin.class!.where).toBe('merge');
    expect(judge(healthy({ scoreSqnrDb: 17.1, anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 0 } }), bs, head('out')).origin.class!.where).not.toBe('merge');
  });

  it('box drift from a catastrophic box layer counts only once the IoU distribution shows it', () => {
    const box = [branch('box', [pt('conv', 1, 2, 8)])];
    expect(judge(healthy({ boxIou: { n: 50, p10: 0.94, share50_95: 0.96 } }), box, head()).verdict).toBe('ok');
    const shown = judge(healthy({ boxIou: { n: 50, p10: 0.94, share50_95: 0.94 } }), box, head());
    expect(shown.verdict).toBe('box drift');
    expect(shown.start).toBe('conv');
    expect(judge(healthy({ boxIou: { n: 50, p10: 0.89, share50_95: 0.96 } }), box, head()).verdict).toBe('box drift');
    // The same IoUs without a catastrophic layer (6 dB is not below 6): ok.
    expect(judge(healthy({ boxIou: { n: 50, p10: 0.89, share50_95: 0.94 } }), [branch('box', [pt('conv', 1, 6, 8)])], head()).verdict).toBe('ok');
  });

  it('objectness rules: a factor of 2 — max ratio below 0.5, fewer than half the objects, SQNR below 20·log10(2) ≈ 6 dB', () => {
    const obj = (o: Partial<NonNullable<HeadOutputSummary['objectness']>>) => healthy({ objectness: { sqnrDb: 22, cosine: 0.99, max: { fp32: 0.9, int8: 0.9, ratio: 1 }, above: { fp32: 60, int8: 60 }, ...o } });
    expect(judge(obj({}), [], head()).verdict).toBe('ok');
    expect(judge(obj({ sqnrDb: 5.9 }), [], head()).findings).toEqual(['objectness']);
    expect(judge(obj({ sqnrDb: 6.1 }), [], head()).verdict).toBe('ok'); // an output Concat that keeps every object (10.0 dB on the generated YOLOv5) is not a collapse
    expect(judge(obj({ max: { fp32: 0.9, int8: 0.44, ratio: 0.49 } }), [], head()).findings).toEqual(['objectness']);
    expect(judge(obj({ max: { fp32: 0.9, int8: 0.45, ratio: 0.5 } }), [], head()).verdict).toBe('ok');
    expect(judge(obj({ above: { fp32: 60, int8: 29 } }), [], head()).findings).toEqual(['objectness']);
    expect(judge(obj({ above: { fp32: 60, int8: 30 } }), [], head()).verdict).toBe('ok');
  });

  it('merge origin needs every root of the branch better than the slice; a root shared with another branch must itself be healthy', () => {
    const twoRoots: DetectorHead = { ...head('out'), roots: { box: ['xy', 'wh'], class: ['c'], objectness: [] }, boxRoot: 'xy' };
    const box = [branch('box', [pt('xy', 1, 30, 0), pt('wh', 2, 10, 8)])];
    // xy alone (30 dB) would blame the join for a 12 dB box slice; wh is at 10 dB: the damage is made in the branch.
    expect(judge(healthy({ boxSqnrDb: 12 }), box, twoRoots).origin.box).toMatchObject({ tensor: 'wh', where: 'branch' });
    expect(judge(healthy({ boxSqnrDb: 6 }), box, twoRoots).origin.box).toMatchObject({ tensor: 'out', where: 'merge' });
    // YOLOv5: objectness and classes come from one split; that root's SQNR mixes both.
    const sharedRoot: DetectorHead = { ...head('out'), roots: { box: ['b'], class: ['conf'], objectness: ['conf'] } };
    const objOut = (sqnrDb: number) => healthy({ objectness: { sqnrDb, cosine: 0.5, max: { fp32: 0.9, int8: 0.9, ratio: 1 }, above: { fp32: 60, int8: 60 } } });
    expect(judge(objOut(1.6), [branch('class', [pt('conf', 1, 9.5, 0)])], sharedRoot).origin.objectness?.where).not.toBe('merge');
    expect(judge(objOut(1.6), [branch('class', [pt('conf', 1, 24, 0)])], sharedRoot).origin.objectness).toMatchObject({ tensor: 'out', where: 'merge' });
  });

  it('objectness damage is its own finding and does not count as class damage', () => {
    const obj = { sqnrDb: 5, cosine: 0.5, max: { fp32: 0.9, int8: 0.1, ratio: 0.11 }, above: { fp32: 100, int8: 10 } };
    const v = judge(healthy({ objectness: obj, maxScore: { fp32: 0.9, int8: 0.1, ratio: 0.11 }, anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 10 } }), [], head());
    expect(v.verdict).toBe('objectness collapse');
    expect(v.findings).toEqual(['objectness']);
  });
});
