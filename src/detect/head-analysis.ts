import * as path from 'node:path';
import type { Argv } from 'yargs';
import Table from 'cli-table3';
import type { Analysis, AnalysisContext, AnalysisRun, AnalysisSetup } from '../analysis/analysis.js';
import type { OnnxModel } from '../graph/onnx-model.js';
import type { Report } from '../report/report.js';
import { ansi, fmtCos, fmtDb } from '../report/format.js';
import { UserError, at } from '../errors.js';
import { buildLogicalGraph } from './logical-graph.js';
import { headFromSpec, labelCounts, type DetectorHead, type HeadLabel } from './head-discovery.js';
import { PRESETS, formatLayout, parseHeadSpec, type DetectorLayout } from './head-spec.js';
import { HeadObserver, type HeadObserverState, type HeadOutputSummary } from './head-observer.js';
import { DETECT_DEFAULTS, MAP_DEFAULTS, type DecodeOptions } from './decode.js';
import { branchDivergence, type BranchSummary } from './branch-divergence.js';
import { judge, type Verdict } from './verdict.js';
import { cocoMap } from './coco-map.js';
import { groundTruthOf } from './yolo-labels.js';
import { detectionsFile, writeDetectionsFile } from './detections-file.js';
import { classLabel, classNames } from './class-names.js';
import type { Detection } from './boxes.js';
import { log } from '../log.js';
import { graphOf } from '../graph/onnx-model.js';

const TOP_K = 100;
const MATCH_IOU = 0.5;

/** `report.candidates[k].analyses.head` (docs/detection.md). */
export type HeadAnalysisResult =
  | { found: false; note: string }
  | {
    found: true;
    head: { source: DetectorHead['source']; family: string; boxRoot: string | null; classRoot: string | null; roots: DetectorHead['roots']; merge: string | null; trunkEnd: string | null; layout: DetectorLayout | null; why?: string; counts: Record<HeadLabel, number> };
    verdict: Verdict | null;
    output: HeadOutputSummary | null;
    branches: BranchSummary[];
    map?: { images: number; labels: string; decode: DecodeOptions; fp32: MapPair; int8: MapPair };
    /** The first image's detections (original pixels, conf/NMS as compared), for the report overlay. */
    detections?: { image: string; fp32: LabelledBox[]; int8: LabelledBox[] };
  };
interface LabelledBox { box: [number, number, number, number]; score: number; label: string }
interface MapPair { map50: number; map50_95: number }

/** The head analysis's options (--head, --conf, --iou, --labels, --save-detections), parsed. */
export interface HeadOptions {
  /** auto | PRESET[,key=value...] | boxes=...: the head grammar of head-spec.ts ('off' never reaches here). */
  spec: string;
  detect: DecodeOptions;
  labels?: string;
  saveDetections?: string;
}

function parseHeadOptions(args: Readonly<Record<string, unknown>>): HeadOptions | undefined {
  const spec = args.head === undefined ? 'auto' : String(args.head);
  if (spec === 'off') return undefined;
  const unit = (flag: 'conf' | 'iou'): number => {
    const v = args[flag] ?? DETECT_DEFAULTS[flag];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new UserError(`--${flag} must be between 0 and 1, got ${v}`);
    return v;
  };
  const conf = unit('conf'), iou = unit('iou');
  const file = (flag: string) => { const v = args[flag]; return typeof v === 'string' && v !== '' ? v : undefined; };
  const labels = file('labels'), saveDetections = file('save-detections');
  return {
    spec, detect: { ...DETECT_DEFAULTS, conf, iou },
    ...(labels !== undefined ? { labels } : {}), ...(saveDetections !== undefined ? { saveDetections } : {}),
  };
}

/** Ultralytics .engine metadata of a detector: its head layout, so the verdict works without a graph. @internal */
export function headFromMetadata(metadata: Record<string, unknown> | undefined): string | undefined {
  const names = metadata?.['names'];
  if (metadata?.['task'] !== 'detect' || !names || typeof names !== 'object') return undefined;
  return `boxes=0:4,scores=4:${4 + Object.keys(names).length}`;
}

/** The head of the FP32 model (the one every row is named after), or a note saying why there is none. */
function resolveHead(fp32: OnnxModel, spec: string): { head: DetectorHead | null; note?: string } {
  const lg = buildLogicalGraph(graphOf(fp32.proto));
  let head: DetectorHead | null;
  try {
    head = headFromSpec(lg, parseHeadSpec(spec), fp32.path);
  } catch (e) {
    // A head the user named must fit (one line, exit 2); one found by discovery that does not fit
    // (e.g. an engine's outputs seen without their graph) only turns the analysis off, with why.
    if (spec !== 'auto' || !(e instanceof UserError)) throw e;
    return { head: null, note: `note: the detector head found in ${path.basename(fp32.path)} does not decode (${e.message}); detection analysis off — pass --head <preset> to force it` };
  }
  if (!head) return { head: null, note: `note: no detector head found in ${path.basename(fp32.path)} (no output of a known family: YOLOv5/7/8/10/11, YOLOX, SSD/RetinaNet, DETR/RT-DETR, FastestDet); detection analysis off — pass --head <preset> or --head boxes=0:4,scores=4:84 to force it` };
  return { head };
}

function mapOf(obs: HeadObserver, labels: string, dets: Parameters<typeof cocoMap>[1]): MapPair {
  const gts = groundTruthOf(obs.images, labels);
  const r = cocoMap(gts, dets, obs.images.map((i) => i.id));
  return { map50: r.map50, map50_95: r.map50_95 };
}

/**
 * One run of the head analysis: the head found before the comparison, the observer that watched
 * it, and finish() turning both into `analyses.head` of every candidate.
 */
class HeadRun implements AnalysisRun {
  readonly observers: HeadObserver[] = [];
  private readonly head: DetectorHead | null;
  private readonly note?: string;
  private readonly observer?: HeadObserver;

  constructor(private readonly opt: HeadOptions, { fp32, int8, fp32EngineMetadata }: AnalysisSetup) {
    // An engine that exposes only its outputs has no graph to discover a head in: its metadata may name one.
    const spec = opt.spec === 'auto' ? headFromMetadata(fp32EngineMetadata) ?? 'auto' : opt.spec;
    const r = resolveHead(fp32, spec);
    this.head = r.head;
    if (r.note) this.note = r.note;
    if (!this.head?.layout) return;
    this.observer = new HeadObserver(this.head.layout, {
      detect: opt.detect, topK: TOP_K, matchIou: MATCH_IOU, map: MAP_DEFAULTS,
      labelsDir: opt.labels, keepDetections: opt.saveDetections !== undefined,
    }, int8.length);
    this.observers.push(this.observer);
  }

  finish(report: Report, ctx: AnalysisContext): void {
    const { head, observer: obs } = this;
    if (!head) {
      for (const c of report.candidates) c.analyses.head = { found: false, note: this.note! } satisfies HeadAnalysisResult;
      return;
    }
    const labels = this.opt.labels;
    const fp32Map = obs && labels ? mapOf(obs, labels, obs.fp32Detections) : undefined;
    const th = { sqnrThresholdDb: report.thresholds.sqnrThresholdDb, cosineThreshold: report.thresholds.cosineThreshold, dropDb: report.thresholds.dropDb, use: 'accumulated' as const };
    report.candidates.forEach((c, k) => {
      for (const r of [...at(ctx.result.candidates, k).records, ...c.rows]) {
        const l = head.labels.get(r.name);
        if (l) r.branch = l;
      }
      const branches = branchDivergence(at(ctx.result.candidates, k).records, head, th);
      const output = obs ? obs.summary(k) : null;
      const result: HeadAnalysisResult = {
        found: true,
        head: { source: head.source, family: head.family, boxRoot: head.boxRoot, classRoot: head.classRoot, roots: head.roots, merge: head.merge, trunkEnd: head.trunkEnd, layout: head.layout, ...(head.why ? { why: head.why } : {}), counts: labelCounts(head.labels) },
        verdict: output ? judge(output, branches, head) : null,
        output,
        branches,
      };
      if (obs?.firstImage) {
        const names = classNames(ctx.fp32.proto);
        const boxes = (ds: Detection[] | undefined): LabelledBox[] => (ds ?? []).map((d) => ({ box: [...d.box] as LabelledBox['box'], score: d.score, label: classLabel(names, d.cls) }));
        result.detections = { image: obs.firstImage.file, fp32: boxes(obs.firstImage.fp32), int8: boxes(obs.firstImage.int8[k]) };
      }
      if (obs && labels && fp32Map) {
        result.map = { images: obs.images.length, labels, decode: MAP_DEFAULTS, fp32: fp32Map, int8: mapOf(obs, labels, obs.detectionsOf(k)) };
      }
      c.analyses.head = result;
    });
    const save = this.opt.saveDetections;
    if (save && obs) {
      writeDetectionsFile(save, detectionsFile(labels ? MAP_DEFAULTS : obs.opt.detect, obs.images, [
        { name: 'fp32', path: ctx.fp32.path, dets: obs.fp32Detections },
        ...ctx.int8.map((m, k) => ({ name: ctx.int8.length === 1 ? 'int8' : `int8-${k + 1}`, path: m.path, dets: obs.detectionsOf(k) })),
      ]));
      log.info(`wrote ${save}`);
    }
  }

  /** Shards: the observer's state out (save), the parts' states in (restore), then finish() as one run. */
  readonly partial = {
    save: (): unknown => this.observer?.state() ?? null,
    restore: (parts: { state: unknown; sampleIndex: number[] }[]): void => {
      if (!this.observer) return;
      if (parts.some((p) => !p.state)) throw new UserError('a partial run has no detector-head state although the head decodes: parts come from different trt-diff versions');
      this.observer.absorb(parts.map((p) => ({ state: p.state as HeadObserverState, sampleIndex: p.sampleIndex })));
    },
  };
}

export const headAnalysis: Analysis<HeadOptions> = {
  name: 'head',
  options: <T>(y: Argv<T>) => y
    .option('head', { type: 'string', default: 'auto', describe: `detector head: auto | off | PRESET (${Object.keys(PRESETS).join(', ')}) [,key=value...] | boxes=0:4,scores=4:84[,layout=CxA|AxC][,objectness=4][,background=0]... (docs/detection.md)`, group: 'Detection:' })
    .option('conf', { type: 'number', default: DETECT_DEFAULTS.conf, describe: 'confidence threshold of compared detections', group: 'Detection:' })
    .option('iou', { type: 'number', default: DETECT_DEFAULTS.iou, describe: 'NMS IoU threshold of compared detections', group: 'Detection:' })
    .option('labels', { type: 'string', describe: 'YOLO label folder (<stem>.txt per image): adds mAP50 / mAP50-95 of every model', group: 'Detection:' })
    .option('save-detections', { type: 'string', describe: 'write every model\'s detections (COCO results JSON) to this file', group: 'Detection:' }) as unknown as Argv<T>,
  parse: parseHeadOptions,
  outputs: (o) => [{ flag: '--save-detections', path: o.saveDetections }],
  shardable: true,
  start: (o, setup) => new HeadRun(o, setup),
  render: (report, k, color) => renderHead(report, k, color),
};

const f3 = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(3));

/** The verdict, its evidence and the branch table, shown above candidate k's per-layer table. */
function renderHead(report: Report, k: number, color: boolean): string[] {
  const c = at(report.candidates, k);
  const res = c.analyses.head as HeadAnalysisResult | undefined;
  if (!res) return [];
  if (!res.found) return k === 0 ? [res.note] : [];
  const lines: string[] = [];
  const cnt = res.head.counts;
  lines.push(ansi.bold(`detector head (${res.head.source}) of ${path.basename(c.model.path)}: ${res.head.layout ? formatLayout(res.head.layout) : `${res.head.family}, not decodable`}`, color));
  if (res.head.why) lines.push(`  not decoded: ${res.head.why}; the branch analysis below still holds`);
  const objRegion = cnt.objectness ? `, objectness ${cnt.objectness}` : '';
  lines.push(`  regions: backbone ${cnt.backbone}, neck ${cnt.neck}, box ${cnt.box}, class ${cnt.class}${objRegion}, shared ${cnt.shared} tensors; box root ${res.head.boxRoot ?? '-'}, class root ${res.head.classRoot ?? '-'}`);
  const v = res.verdict, o = res.output;
  if (v && o) {
    const paint = v.verdict === 'ok' ? ansi.green : ansi.red;
    lines.push(paint(ansi.bold(`VERDICT: ${v.verdict}${v.start ? ` — starts at ${v.start}` : ''}`, color), color));
    for (const [name, og] of Object.entries(v.origin)) lines.push(`  ${name} damage starts at ${og.tensor} (${og.where}): ${og.why}`);
    for (const e of v.evidence) lines.push(`  • ${e}`);
    lines.push(`  output: class-score SQNR ${fmtDb(o.scoreSqnrDb)} dB (cos ${fmtCos(o.scoreCosine)}), box SQNR ${fmtDb(o.boxSqnrDb)} dB; max score ${f3(o.maxScore.int8)} vs ${f3(o.maxScore.fp32)} (ratio ${f3(o.maxScore.ratio)}); anchors > ${o.anchorsAboveConf.conf}: ${o.anchorsAboveConf.int8} vs ${o.anchorsAboveConf.fp32}`);
    if (o.objectness) lines.push(`  objectness SQNR ${fmtDb(o.objectness.sqnrDb)} dB; max ${f3(o.objectness.max.int8)} vs ${f3(o.objectness.max.fp32)}; anchors > ${o.anchorsAboveConf.conf}: ${o.objectness.above.int8} vs ${o.objectness.above.fp32}`);
    lines.push(`  top-${o.topK.k} anchor overlap ${(o.topK.overlap * 100).toFixed(0)}%, box IoU median ${f3(o.boxIouMedian)} p10 ${f3(o.boxIou.p10)} share .50:.95 ${f3(o.boxIou.share50_95)} (${o.boxIou.n} boxes), same class ${f3(o.classAgreement)}`);
    lines.push(`  detections ${o.detections.int8} INT8 vs ${o.detections.fp32} FP32: P ${f3(o.detections.precision)} R ${f3(o.detections.recall)} F1 ${f3(o.detections.f1)} (IoU ${o.detections.matchIou}), F1 .50:.95 ${f3(o.detections.f1_50_95)}`);
  }
  if (res.map) {
    lines.push(`  mAP over ${res.map.images} images (${res.map.labels}): FP32 mAP50 ${f3(res.map.fp32.map50)} mAP50-95 ${f3(res.map.fp32.map50_95)} | INT8 mAP50 ${f3(res.map.int8.map50)} mAP50-95 ${f3(res.map.int8.map50_95)}`);
  }
  const table = new Table({
    head: ['region', 'tensors', 'first divergence', 'SQNR dB', 'worst SQNR dB', 'end SQNR dB'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
  });
  const short = (s: string) => (s.length > 48 ? `…${s.slice(-47)}` : s);
  for (const b of res.branches) {
    table.push([b.label, String(b.tensors), b.firstDivergence ? short(b.firstDivergence.tensor) : '-', b.firstDivergence ? fmtDb(b.firstDivergence.sqnrDb) : '',
      b.worst ? fmtDb(b.worst.sqnrDb) : '', b.end ? fmtDb(b.end.sqnrDb) : '']);
  }
  lines.push(table.toString());
  return lines;
}
