import type { TensorRecord } from '../compare/compare-models.js';
import { inputDrops, type DivergenceOptions } from '../analysis/first-divergence.js';
import { HEAD_LABELS, type DetectorHead, type HeadLabel } from './head-discovery.js';

export interface CurvePoint { tensor: string; order: number; sqnrDb: number; cosine: number; dropDb: number | null }

/** One region of the detector (backbone, neck, box, class, shared) and how its error evolves. */
export interface BranchSummary {
  label: HeadLabel;
  tensors: number;
  /** SQNR/cosine of every compared tensor of the region, in topological order. */
  curve: CurvePoint[];
  /** First tensor of the region where error is made (firstDivergence's rule, inputs from any region). */
  firstDivergence: CurvePoint | null;
  worst: CurvePoint | null;
  /** The region's last tensor: the box/class root, the trunk end, the merge; for the neck the last in order. */
  end: CurvePoint | null;
}

/**
 * Per-region error curves. The divergence rule is the one of analysis/first-divergence.ts (SQNR
 * below the threshold or cosine below its threshold, and `dropDb` below the worst input), with
 * input drops computed over all records so that a branch's first tensor is judged against the
 * neck tensor it reads.
 */
export function branchDivergence(records: readonly TensorRecord[], head: DetectorHead, th: DivergenceOptions): BranchSummary[] {
  const drops = inputDrops(records);
  const point = (r: TensorRecord): CurvePoint => ({ tensor: r.name, order: r.order, sqnrDb: r.metrics.sqnrDb, cosine: r.metrics.cosine, dropDb: drops.get(r.name)?.dropDb ?? null });
  const sorted = [...records].sort((a, b) => a.order - b.order);
  const ends: Partial<Record<HeadLabel, string | null>> = { backbone: head.trunkEnd, box: head.boxRoot, class: head.classRoot, shared: head.merge };
  return HEAD_LABELS.map((label) => {
    const curve = sorted.filter((r) => head.labels.get(r.name) === label).map(point);
    const first = curve.find((p) => (p.sqnrDb < th.sqnrThresholdDb || p.cosine < th.cosineThreshold) && (p.dropDb === null || p.dropDb >= th.dropDb)) ?? null;
    const worst = curve.reduce<CurvePoint | null>((w, p) => (!w || p.sqnrDb < w.sqnrDb ? p : w), null);
    const endName = ends[label];
    const end = (endName ? curve.find((p) => p.tensor === endName) : curve[curve.length - 1]) ?? null;
    return { label, tensors: curve.length, curve, firstDivergence: first, worst, end };
  });
}
