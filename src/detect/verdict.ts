import type { BranchSummary, CurvePoint } from './branch-divergence.js';
import type { DetectorHead } from './head-discovery.js';
import type { HeadOutputSummary } from './head-observer.js';
import { fmtDb } from '../report/format.js';

/**
 * Thresholds of the detection verdict; docs/detection.md explains each. Calibrated on YOLOv8n:
 * healthy INT8 copies (entropy / static Q/DQ) give score SQNR 10-20 dB, max-score ratio ≈ 1,
 * confident-anchor box IoU ≈ 0.96; the real collapsed model gives ratio 0 and 0 confident anchors.
 * @internal exported for the tests that check measured values against the thresholds
 */
export const VERDICT_THRESHOLDS = {
  /** Class scores are damaged when INT8's highest detection score is below this share of FP32's... */
  maxScoreRatio: 0.5,
  /** ...or fewer than this share of FP32's anchors above conf remain above conf... */
  anchorsAboveRatio: 0.5,
  /** ...or the class probabilities' SQNR is below this (error power at least half the signal)... */
  scoreSqnrDb: 3,
  /** ...or fewer than this share of FP32's confident anchors keep their best class (healthy: 0.95-1.00)... */
  classAgreement: 0.8,
  /**
   * ...or (class and objectness alike) a tensor of the branch makes a catastrophic error by itself
   * (SQNR below `catastrophicDb`, `originDropDb` below its inputs) and the branch's output channels
   * are below `branchOutputSqnrDb`.
   */
  branchOutputSqnrDb: 20,
  /**
   * Objectness multiplies every detection score of its anchor, so its rules measure one thing: a
   * factor of 2 (docs/detection.md, "Why the objectness numbers"). Damaged when the highest
   * objectness falls below this share of FP32's, or fewer than this share of FP32's anchors with
   * objectness above conf (the anchors that can be detections at all) remain...
   */
  objectnessRatio: 0.5,
  /**
   * ...or the objectness SQNR is below 20·log10(2) ≈ 6 dB: an RMS error of half the RMS objectness,
   * what halving every objectness gives (doubling gives 0 dB). Healthy INT8 with a trained
   * detector's sparse objectness measures 21-28 dB; the former 12 dB called an output Concat that
   * kept every object (10.0 dB) a collapse.
   */
  objectnessSqnrDb: 6,
  /** Boxes drift when the box channels' SQNR is below this... */
  boxSqnrDb: 20,
  /** ...or the median IoU of FP32/INT8 boxes on FP32's confident top-k anchors is below this... */
  boxIou: 0.7,
  /** ...or the mAP50-95-style share of those boxes (mean over IoU .50:.05:.95 of the share reaching it) is below this... */
  boxShare50_95: 0.6,
  /**
   * ...or a box-branch tensor makes a catastrophic error by itself (SQNR below `catastrophicDb`,
   * `originDropDb` below its inputs) and the boxes show it: share50-95 below `catastrophicShare` or
   * 10th-percentile IoU below `catastrophicP10` (healthy YOLOv8n copies: 0.980-0.986 and 0.937-0.944).
   */
  catastrophicDb: 6,
  catastrophicShare: 0.95,
  catastrophicP10: 0.9,
  /** The merge is where the damage starts when its output slice is this many dB worse than the branch root it copies. */
  mergeDropDb: 3,
  /** A branch collapse starts at the first branch tensor losing at least this many dB by itself. */
  originDropDb: 6,
};
export type VerdictThresholds = typeof VERDICT_THRESHOLDS;

export type Finding = 'class' | 'box' | 'objectness';
const FINDING_NAMES: Record<Finding, string> = { class: 'classness collapse', box: 'box drift', objectness: 'objectness collapse' };

/** 'ok', or the findings' names joined with " + " in the order class, box, objectness. */
export type VerdictKind = string;

export interface BranchOrigin {
  tensor: string;
  /** 'merge': the branch root is fine and the joined output is not; 'branch': made inside the branch; 'upstream': inherited from backbone/neck. */
  where: 'merge' | 'branch' | 'upstream';
  why: string;
}

export interface Verdict {
  verdict: VerdictKind;
  findings: Finding[];
  classDamaged: boolean;
  boxDamaged: boolean;
  objectnessDamaged: boolean;
  /** One line per rule that fired. */
  evidence: string[];
  origin: Partial<Record<Finding, BranchOrigin>>;
  /** The tensor where it starts (class origin first, then box, then objectness). */
  start: string | null;
}

const f3 = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(3));

const made = (th: VerdictThresholds) => (p: CurvePoint) => p.dropDb !== null && p.dropDb >= th.originDropDb && p.sqnrDb < 20;

/**
 * The worst of a branch's roots (one per level or per decoded quantity: YOLOX's per-level objectness
 * convs, YOLOv5's xy and wh), as compared; else the branch's end.
 */
function worstRoot(kind: Finding, branch: BranchSummary | undefined, all: readonly BranchSummary[], head: DetectorHead): CurvePoint | null | undefined {
  const names = new Set(head.roots[kind]);
  const pts = all.flatMap((b) => b.curve).filter((p) => names.has(p.tensor));
  return pts.length > 0 ? pts.reduce((w, p) => (p.sqnrDb < w.sqnrDb ? p : w)) : branch?.end;
}

/** Where the damage of one branch starts (see VerdictThresholds.mergeDropDb / originDropDb). */
function originOf(kind: Finding, branch: BranchSummary | undefined, sliceSqnrDb: number, head: DetectorHead, all: readonly BranchSummary[], th: VerdictThresholds): BranchOrigin | undefined {
  const upstream = all.filter((b) => b.label === 'backbone' || b.label === 'neck');
  // The join loses it only when every root feeding the slice is better than the slice. A root shared
  // with another branch (YOLOv5's conf split: objectness and classes) mixes both branches' channels,
  // so its SQNR speaks for this slice only when the whole root is healthy (≥ branchOutputSqnrDb).
  const root = worstRoot(kind, branch, all, head);
  const shared = head.roots[kind].some((r) => (['box', 'class', 'objectness'] as const).some((k) => k !== kind && head.roots[k].includes(r)));
  if (root && head.merge && root.sqnrDb - sliceSqnrDb >= th.mergeDropDb && (!shared || root.sqnrDb >= th.branchOutputSqnrDb)) {
    return { tensor: head.merge, where: 'merge', why: `${kind} root ${root.tensor} is at ${fmtDb(root.sqnrDb)} dB${head.roots[kind].length > 1 ? ' (the worst of its roots)' : ''} but its slice of ${head.merge} at ${fmtDb(sliceSqnrDb)} dB: the join loses it` };
  }
  const inBranch = branch?.curve.find(made(th));
  if (inBranch) return { tensor: inBranch.tensor, where: 'branch', why: `SQNR ${fmtDb(inBranch.sqnrDb)} dB, ${fmtDb(inBranch.dropDb!)} dB below its inputs` };
  const up = upstream.flatMap((b) => b.curve).sort((a, b) => a.order - b.order).find(made(th));
  if (up) return { tensor: up.tensor, where: 'upstream', why: `SQNR ${fmtDb(up.sqnrDb)} dB, ${fmtDb(up.dropDb!)} dB below its inputs (before the branch)` };
  const worst = branch?.curve.filter((p) => p.dropDb !== null).sort((a, b) => b.dropDb! - a.dropDb!)[0];
  return worst ? { tensor: worst.tensor, where: 'branch', why: `largest drop in the branch: ${fmtDb(worst.dropDb!)} dB` } : undefined;
}

type Rule = readonly [boolean, string];

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : NaN;
}

/** Class rules; anchor-count and max-score rules belong to objectness instead when objectness is damaged. */
/** The branch's worst tensor that makes a catastrophic error by itself, if any. */
function catastrophicLayer(branch: BranchSummary | undefined, th: VerdictThresholds): CurvePoint | undefined {
  const worst = branch?.curve.filter(made(th)).sort((a, b) => a.sqnrDb - b.sqnrDb)[0];
  return worst && worst.sqnrDb < th.catastrophicDb ? worst : undefined;
}

function ownLayerRule(what: string, branch: BranchSummary | undefined, outSqnrDb: number, th: VerdictThresholds): Rule {
  const w = catastrophicLayer(branch, th);
  return [w !== undefined && outSqnrDb < th.branchOutputSqnrDb,
    `${what}-branch tensor ${w?.tensor} makes its own error: SQNR ${fmtDb(w?.sqnrDb ?? NaN)} dB (< ${th.catastrophicDb}), ${fmtDb(w?.dropDb ?? NaN)} dB below its inputs; ${what} output SQNR ${fmtDb(outSqnrDb)} dB < ${th.branchOutputSqnrDb}`];
}

function classRules(out: HeadOutputSummary, objDamaged: boolean, branch: BranchSummary | undefined, th: VerdictThresholds): Rule[] {
  const a = out.anchorsAboveConf, aboveRatio = ratio(a.int8, a.fp32);
  return [
    ownLayerRule('class', branch, out.scoreSqnrDb, th),
    [!objDamaged && out.maxScore.ratio < th.maxScoreRatio, `max detection score ${f3(out.maxScore.int8)} vs FP32 ${f3(out.maxScore.fp32)} (ratio ${f3(out.maxScore.ratio)} < ${th.maxScoreRatio})`],
    [!objDamaged && aboveRatio < th.anchorsAboveRatio, `${a.int8} anchors above conf ${a.conf} vs ${a.fp32} in FP32 (${(aboveRatio * 100).toFixed(0)}% < ${th.anchorsAboveRatio * 100}%)`],
    [out.scoreSqnrDb < th.scoreSqnrDb, `class-score SQNR ${fmtDb(out.scoreSqnrDb)} dB < ${th.scoreSqnrDb} dB`],
    [out.classAgreement < th.classAgreement, `${(out.classAgreement * 100).toFixed(0)}% of FP32's confident anchors keep their class (< ${th.classAgreement * 100}%)`],
  ];
}

function objectnessRules(out: HeadOutputSummary, branch: BranchSummary | undefined, th: VerdictThresholds): Rule[] {
  const o = out.objectness;
  if (!o) return [];
  const aboveRatio = ratio(o.above.int8, o.above.fp32);
  return [
    ownLayerRule('objectness', branch, o.sqnrDb, th),
    [o.max.ratio < th.objectnessRatio, `max objectness ${f3(o.max.int8)} vs FP32 ${f3(o.max.fp32)} (ratio ${f3(o.max.ratio)} < ${th.objectnessRatio})`],
    [aboveRatio < th.objectnessRatio, `${o.above.int8} anchors with objectness above conf vs ${o.above.fp32} in FP32 (${(aboveRatio * 100).toFixed(0)}% < ${th.objectnessRatio * 100}%)`],
    [o.sqnrDb < th.objectnessSqnrDb, `objectness SQNR ${fmtDb(o.sqnrDb)} dB < ${th.objectnessSqnrDb} dB`],
  ];
}

function boxRules(out: HeadOutputSummary, box: BranchSummary | undefined, slotWise: boolean, th: VerdictThresholds): Rule[] {
  const share = out.boxIou.share50_95;
  const worst = catastrophicLayer(box, th);
  const catastrophic = worst !== undefined;
  return [
    [slotWise && out.boxSqnrDb < th.boxSqnrDb, `box SQNR ${fmtDb(out.boxSqnrDb)} dB < ${th.boxSqnrDb} dB`],
    [out.boxIouMedian < th.boxIou, `median IoU of confident anchors' boxes ${f3(out.boxIouMedian)} < ${th.boxIou}`],
    [share < th.boxShare50_95, `IoU .50:.95 share of confident anchors' boxes ${f3(share)} < ${th.boxShare50_95} (median IoU ${f3(out.boxIouMedian)}, 10th percentile ${f3(out.boxIou.p10)})`],
    [catastrophic && (share < th.catastrophicShare || out.boxIou.p10 < th.catastrophicP10),
      `box-branch tensor ${worst?.tensor} makes its own error: SQNR ${fmtDb(worst?.sqnrDb ?? NaN)} dB (< ${th.catastrophicDb}), ${fmtDb(worst?.dropDb ?? NaN)} dB below its inputs; the boxes show it: IoU .50:.95 share ${f3(share)} (< ${th.catastrophicShare}?), 10th-percentile IoU ${f3(out.boxIou.p10)} (< ${th.catastrophicP10}?), median ${f3(out.boxIouMedian)}`],
  ];
}

/**
 * Findings: classness collapse (class probabilities or class-driven detection scores damaged),
 * box drift, objectness collapse; or ok. Damage is judged on the decoded output; the per-tensor
 * records only say where it starts — except the box branch's own catastrophic layer, which counts
 * once the boxes' IoU distribution shows it.
 */
export function judge(out: HeadOutputSummary, branches: BranchSummary[], head: DetectorHead, th: VerdictThresholds = VERDICT_THRESHOLDS): Verdict {
  const branch = (l: string) => branches.find((b) => b.label === l);
  const obj = objectnessRules(out, branch('objectness'), th);
  const objectnessDamaged = obj.some(([hit]) => hit);
  const cls = classRules(out, objectnessDamaged, branch('class'), th);
  // Score-sorted end-to-end slots (a class-id channel) hold different objects in FP32 and INT8: their slot-wise box SQNR says nothing.
  const box = boxRules(out, branch('box'), head.layout?.classChannel === undefined, th);
  const classDamaged = cls.some(([hit]) => hit);
  const boxDamaged = box.some(([hit]) => hit);
  const evidence = [...cls, ...box, ...obj].filter(([hit]) => hit).map(([, line]) => line);
  const origin: Verdict['origin'] = {};
  const setOrigin = (f: Finding, o: BranchOrigin | undefined) => { if (o) origin[f] = o; };
  if (classDamaged) setOrigin('class', originOf('class', branch('class'), out.scoreSqnrDb, head, branches, th));
  if (boxDamaged) setOrigin('box', originOf('box', branch('box'), out.boxSqnrDb, head, branches, th));
  if (objectnessDamaged) setOrigin('objectness', originOf('objectness', branch('objectness'), out.objectness!.sqnrDb, head, branches, th));
  const findings = (['class', 'box', 'objectness'] as const).filter((f) => ({ class: classDamaged, box: boxDamaged, objectness: objectnessDamaged })[f]);
  const verdict = findings.length === 0 ? 'ok' : findings.map((f) => FINDING_NAMES[f]).join(' + ');
  return { verdict, findings, classDamaged, boxDamaged, objectnessDamaged, evidence, origin, start: origin.class?.tensor ?? origin.box?.tensor ?? origin.objectness?.tensor ?? null };
}
