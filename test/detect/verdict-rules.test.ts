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

describe('verdict evidence and origins, word for word', () => {
  const classBranch = branch('class', [pt('c1', 2, 30, 1), pt('c2', 4, 4, 7.5)]);

  it('every class rule fires with its own line, in rule order', () => {
    const out = healthy({
      scoreSqnrDb: 2.5, classAgreement: 0.5,
      maxScore: { fp32: 0.9, int8: 0.3, ratio: 1 / 3 }, anchorsAboveConf: { conf: 0.25, fp32: 80, int8: 20 },
    });
    const v = judge(out, [classBranch], head());
    expect(v.evidence).toEqual([
      'class-branch tensor c2 makes its own error: SQNR 4.0 dB (< 6), 7.5 dB below its inputs; class output SQNR 2.5 dB < 20',
      'max detection score 0.300 vs FP32 0.900 (ratio 0.333 < 0.5)',
      '20 anchors above conf 0.25 vs 80 in FP32 (25% < 50%)',
      'class-score SQNR 2.5 dB < 3 dB',
      '50% of FP32\'s confident anchors keep their class (< 80%)',
    ]);
    expect(v).toMatchObject({ verdict: 'classness collapse', findings: ['class'], classDamaged: true, boxDamaged: false, objectnessDamaged: false, start: 'c2' });
    expect(v.origin).toEqual({ class: { tensor: 'c2', where: 'branch', why: 'SQNR 4.0 dB, 7.5 dB below its inputs' } });
  });

  it('own-layer rule: needs a tensor made in the branch (drop ≥ 6 and SQNR < 20) below 6 dB, and the branch output under 20 dB', () => {
    const at = (sqnrDb: number, dropDb: number | null, out = 15) => judge(healthy({ scoreSqnrDb: out }), [branch('class', [pt('c', 1, sqnrDb, dropDb)])], head()).classDamaged;
    expect(at(5.9, 6)).toBe(true);
    expect(at(6, 6)).toBe(false); // not below 6 dB
    expect(at(5.9, 5.9)).toBe(false); // not made there
    expect(at(5.9, null)).toBe(false);
    expect(at(5.9, 6, 20)).toBe(false); // output not under 20 dB
    expect(at(5.9, 6, 19.9)).toBe(true);
    // The worst of several made tensors is named.
    const v = judge(healthy({ scoreSqnrDb: 15 }), [branch('class', [pt('a', 1, 5, 9), pt('b', 2, 2, 8), pt('c', 3, 4, 10)])], head());
    expect(v.evidence[0]).toMatch(/^class-branch tensor b makes its own error: SQNR 2\.0 dB/);
    // Its origin is the first made tensor in the branch curve, not the worst.
    expect(v.origin.class!.tensor).toBe('a');
  });

  it('every box rule fires with its own line', () => {
    const out = healthy({ boxSqnrDb: 12, boxIouMedian: 0.6, boxIou: { n: 40, p10: 0.3, share50_95: 0.5 } });
    const v = judge(out, [branch('box', [pt('b1', 1, 3, 12)])], head());
    expect(v.evidence).toEqual([
      'box SQNR 12.0 dB < 20 dB',
      'median IoU of confident anchors\' boxes 0.600 < 0.7',
      'IoU .50:.95 share of confident anchors\' boxes 0.500 < 0.6 (median IoU 0.600, 10th percentile 0.300)',
      'box-branch tensor b1 makes its own error: SQNR 3.0 dB (< 6), 12.0 dB below its inputs; the boxes show it: IoU .50:.95 share 0.500 (< 0.95?), 10th-percentile IoU 0.300 (< 0.9?), median 0.600',
    ]);
    expect(v.verdict).toBe('box drift');
    // Thresholds: median 0.7 and share 0.6 themselves are fine.
    expect(judge(healthy({ boxIouMedian: 0.7 }), [], head()).boxDamaged).toBe(false);
    expect(judge(healthy({ boxIouMedian: 0.69 }), [], head()).boxDamaged).toBe(true);
    expect(judge(healthy({ boxIou: { n: 1, p10: 0.95, share50_95: 0.6 } }), [], head()).boxDamaged).toBe(false);
    expect(judge(healthy({ boxIou: { n: 1, p10: 0.95, share50_95: 0.59 } }), [], head()).boxDamaged).toBe(true);
    expect(judge(healthy({ boxSqnrDb: 20 }), [], head()).boxDamaged).toBe(false);
    expect(judge(healthy({ boxSqnrDb: 19.9 }), [], head()).boxDamaged).toBe(true);
    // Catastrophic layer with IoUs exactly at their bounds: not shown.
    expect(judge(healthy({ boxIou: { n: 1, p10: 0.9, share50_95: 0.95 } }), [branch('box', [pt('b1', 1, 3, 12)])], head()).boxDamaged).toBe(false);
  });

  it('score-sorted end-to-end heads (a class-id channel): slot-wise box SQNR says nothing', () => {
    const e2e: DetectorHead = { ...head(), layout: { classChannel: 5 } as unknown as DetectorHead['layout'] };
    expect(judge(healthy({ boxSqnrDb: 1 }), [], e2e).boxDamaged).toBe(false);
    expect(judge(healthy({ boxSqnrDb: 1 }), [], { ...head(), layout: {} as unknown as DetectorHead['layout'] }).boxDamaged).toBe(true);
  });

  it('every objectness rule fires with its own line; class count rules then stand aside', () => {
    const obj = { sqnrDb: 4, cosine: 0.4, max: { fp32: 0.8, int8: 0.2, ratio: 0.25 }, above: { fp32: 40, int8: 10 } };
    const v = judge(healthy({ objectness: obj, scoreSqnrDb: 15, maxScore: { fp32: 0.9, int8: 0.1, ratio: 0.1 }, anchorsAboveConf: { conf: 0.25, fp32: 100, int8: 1 } }),
      [branch('objectness', [pt('o1', 5, 2, 20)])], head());
    expect(v.evidence).toEqual([
      'objectness-branch tensor o1 makes its own error: SQNR 2.0 dB (< 6), 20.0 dB below its inputs; objectness output SQNR 4.0 dB < 20',
      'max objectness 0.200 vs FP32 0.800 (ratio 0.250 < 0.5)',
      '10 anchors with objectness above conf vs 40 in FP32 (25% < 50%)',
      'objectness SQNR 4.0 dB < 6 dB',
    ]);
    expect(v).toMatchObject({ verdict: 'objectness collapse', classDamaged: false, objectnessDamaged: true, start: 'o1' });
    // Each objectness rule alone, at and past its threshold.
    const o = (over: Partial<typeof obj>) => judge(healthy({ objectness: { ...obj, sqnrDb: 30, max: { fp32: 1, int8: 1, ratio: 1 }, above: { fp32: 10, int8: 10 }, ...over } }), [], head()).objectnessDamaged;
    expect(o({})).toBe(false);
    expect(o({ sqnrDb: 6 })).toBe(false);
    expect(o({ sqnrDb: 5.9 })).toBe(true);
    expect(o({ max: { fp32: 1, int8: 0.5, ratio: 0.5 } })).toBe(false);
    expect(o({ max: { fp32: 1, int8: 0.49, ratio: 0.49 } })).toBe(true);
    expect(o({ above: { fp32: 10, int8: 5 } })).toBe(false);
    expect(o({ above: { fp32: 10, int8: 4 } })).toBe(true);
    expect(o({ above: { fp32: 0, int8: 0 } })).toBe(false);
  });

  it('class, box and objectness together: verdict and start in that order', () => {
    const obj = { sqnrDb: 4, cosine: 0.4, max: { fp32: 0.8, int8: 0.2, ratio: 0.25 }, above: { fp32: 40, int8: 10 } };
    const bs = [branch('class', [pt('c', 3, 2, 9)]), branch('box', [pt('b', 1, 2, 9)]), branch('objectness', [pt('o', 0, 2, 9)])];
    const v = judge(healthy({ objectness: obj, scoreSqnrDb: 1, boxSqnrDb: 5 }), bs, head());
    expect(v.verdict).toBe('classness collapse + box drift + objectness collapse');
    expect(v.findings).toEqual(['class', 'box', 'objectness']);
    expect(v.start).toBe('c');
    expect(judge(healthy({ objectness: obj, boxSqnrDb: 5 }), bs.slice(1), head()).start).toBe('b');
    expect(judge(healthy({ objectness: obj }), bs.slice(2), head()).start).toBe('o');
    expect(judge(healthy({ scoreSqnrDb: 25 }), bs, head())).toMatchObject({ verdict: 'ok', findings: [], evidence: [], origin: {}, start: null });
  });

  it('origins: the merge, in the branch, upstream (backbone/neck in topological order), or the largest drop', () => {
    const damaged = healthy({ scoreSqnrDb: 2 });
    // Merge: root 8 dB, slice 2 dB (6 ≥ 3 worse).
    const merge = judge(damaged, [branch('class', [pt('r', 4, 8, 1)])], head('cat'));
    expect(merge.origin.class).toEqual({ tensor: 'cat', where: 'merge', why: 'class root r is at 8.0 dB but its slice of cat at 2.0 dB: the join loses it' });
    // No merge in the head: the same branch has no made tensor, so the largest drop.
    expect(judge(damaged, [branch('class', [pt('r', 4, 8, 1), pt('s', 5, 7, 2), pt('n', 6, 7, null)])], head()).origin.class)
      .toEqual({ tensor: 's', where: 'branch', why: 'largest drop in the branch: 2.0 dB' });
    // Upstream: the first made tensor of backbone or neck by order.
    const up = judge(damaged, [branch('class', [pt('r', 9, 8, 1)]), branch('neck', [pt('n2', 6, 10, 7), pt('n1', 5, 12, 8)]), branch('backbone', [pt('bb', 7, 3, 9)])], head());
    expect(up.origin.class).toEqual({ tensor: 'n1', where: 'upstream', why: 'SQNR 12.0 dB, 8.0 dB below its inputs (before the branch)' });
    // A made tensor needs SQNR under 20: 20 dB with a big drop is not one.
    expect(judge(damaged, [branch('class', [pt('r', 9, 20, 30)]), branch('backbone', [pt('bb', 1, 20, 30)])], head()).origin.class)
      .toEqual({ tensor: 'r', where: 'branch', why: 'largest drop in the branch: 30.0 dB' });
    // No branch at all: no origin, start null.
    expect(judge(damaged, [], head())).toMatchObject({ origin: {}, start: null });
    // A merge within 3 dB of the root is not where it starts.
    expect(judge(healthy({ scoreSqnrDb: 2 }), [branch('class', [pt('r', 4, 4.9, 7)])], head('cat')).origin.class!.where).toBe('branch');
  });
});
