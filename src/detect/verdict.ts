import type { BranchSummary, CurvePoint } from './branch-divergence.js';
import type { DetectorHead } from './head-discovery.js';
import type { HeadOutputSummary } from './head-observer.js';

/**
 * Thresholds of the detection verdict; docs/detection.md explains each. Calibrated on YOLOv8n:
 * healthy INT8 copies (entropy / static Q/DQ) give score SQNR 10-20 dB, max-score ratio ≈ 1,
 * confident-anchor box IoU ≈ 0.96; the real collapsed model gives ratio 0 and 0 confident anchors.
 */
export const VERDICT_THRESHOLDS = {
  /** Class scores are damaged when INT8's highest score is below this share of FP32's... */
  maxScoreRatio: 0.5,
  /** ...or fewer than this share of FP32's anchors above conf remain above conf... */
  anchorsAboveRatio: 0.5,
  /** ...or the score channels' SQNR is below this (error power at least half the signal). */
  scoreSqnrDb: 3,
  /** Boxes drift when the box channels' SQNR is below this... */
  boxSqnrDb: 20,
  /** ...or the median IoU of FP32/INT8 boxes on FP32's confident top-k anchors is below this. */
  boxIou: 0.7,
  /** The merge is where the damage starts when its output slice is this many dB worse than the branch root it copies. */
  mergeDropDb: 3,
  /** A branch collapse starts at the first branch tensor losing at least this many dB by itself. */
  originDropDb: 6,
};
export type VerdictThresholds = typeof VERDICT_THRESHOLDS;

export type VerdictKind = 'classness collapse' | 'box drift' | 'both' | 'ok';

export interface BranchOrigin {
  tensor: string;
  /** 'merge': the branch root is fine and the joined output is not; 'branch': made inside the branch; 'upstream': inherited from backbone/neck. */
  where: 'merge' | 'branch' | 'upstream';
  why: string;
}

export interface Verdict {
  verdict: VerdictKind;
  classDamaged: boolean;
  boxDamaged: boolean;
  /** One line per rule that fired (or the key numbers when none did). */
  evidence: string[];
  origin: { class?: BranchOrigin; box?: BranchOrigin };
  /** The tensor where it starts (class origin first). */
  start: string | null;
}

const db = (v: number) => (v === Infinity ? 'inf' : Number.isNaN(v) ? 'n/a' : v.toFixed(1));

/** Where the damage of one branch starts (see VerdictThresholds.mergeDropDb / originDropDb). */
function originOf(branch: BranchSummary | undefined, sliceSqnrDb: number, head: DetectorHead, upstream: BranchSummary[], th: VerdictThresholds): BranchOrigin | undefined {
  const root = branch?.end;
  if (root && head.merge && root.sqnrDb - sliceSqnrDb >= th.mergeDropDb) {
    return { tensor: head.merge, where: 'merge', why: `${branch!.label} root ${root.tensor} is at ${db(root.sqnrDb)} dB but its slice of ${head.merge} at ${db(sliceSqnrDb)} dB: the join loses it` };
  }
  const made = (p: CurvePoint) => p.dropDb !== null && p.dropDb >= th.originDropDb && p.sqnrDb < 20;
  const inBranch = branch?.curve.find(made);
  if (inBranch) return { tensor: inBranch.tensor, where: 'branch', why: `SQNR ${db(inBranch.sqnrDb)} dB, ${db(inBranch.dropDb!)} dB below its inputs` };
  const up = upstream.flatMap((b) => b.curve).sort((a, b) => a.order - b.order).find(made);
  if (up) return { tensor: up.tensor, where: 'upstream', why: `SQNR ${db(up.sqnrDb)} dB, ${db(up.dropDb!)} dB below its inputs (before the branch)` };
  const worst = branch?.curve.filter((p) => p.dropDb !== null).sort((a, b) => b.dropDb! - a.dropDb!)[0];
  return worst ? { tensor: worst.tensor, where: 'branch', why: `largest drop in the branch: ${db(worst.dropDb!)} dB` } : undefined;
}

/**
 * classness collapse: class scores damaged, boxes not; box drift: the reverse; both; ok.
 * Damage is judged on the output (score channels vs box channels of the detector output);
 * the per-tensor records only say where it starts.
 */
export function judge(out: HeadOutputSummary, branches: BranchSummary[], head: DetectorHead, th: VerdictThresholds = VERDICT_THRESHOLDS): Verdict {
  const evidence: string[] = [];
  const a = out.anchorsAboveConf;
  const aboveRatio = a.fp32 > 0 ? a.int8 / a.fp32 : NaN;
  const classRules = [
    [out.maxScore.ratio < th.maxScoreRatio, `max class score ${out.maxScore.int8.toFixed(3)} vs FP32 ${out.maxScore.fp32.toFixed(3)} (ratio ${out.maxScore.ratio.toFixed(3)} < ${th.maxScoreRatio})`],
    [aboveRatio < th.anchorsAboveRatio, `${a.int8} anchors above conf ${a.conf} vs ${a.fp32} in FP32 (${(aboveRatio * 100).toFixed(0)}% < ${th.anchorsAboveRatio * 100}%)`],
    [out.scoreSqnrDb < th.scoreSqnrDb, `class-score SQNR ${db(out.scoreSqnrDb)} dB < ${th.scoreSqnrDb} dB`],
  ] as const;
  const boxRules = [
    [out.boxSqnrDb < th.boxSqnrDb, `box SQNR ${db(out.boxSqnrDb)} dB < ${th.boxSqnrDb} dB`],
    [out.boxIouMedian < th.boxIou, `median IoU of confident anchors' boxes ${out.boxIouMedian.toFixed(3)} < ${th.boxIou}`],
  ] as const;
  const classDamaged = classRules.some(([hit]) => hit);
  const boxDamaged = boxRules.some(([hit]) => hit);
  for (const [hit, line] of [...classRules, ...boxRules]) if (hit) evidence.push(line);
  const upstream = branches.filter((b) => b.label === 'backbone' || b.label === 'neck');
  const origin: Verdict['origin'] = {};
  if (classDamaged) origin.class = originOf(branches.find((b) => b.label === 'class'), out.scoreSqnrDb, head, upstream, th);
  if (boxDamaged) origin.box = originOf(branches.find((b) => b.label === 'box'), out.boxSqnrDb, head, upstream, th);
  const verdict: VerdictKind = classDamaged && boxDamaged ? 'both' : classDamaged ? 'classness collapse' : boxDamaged ? 'box drift' : 'ok';
  return { verdict, classDamaged, boxDamaged, evidence, origin, start: origin.class?.tensor ?? origin.box?.tensor ?? null };
}
