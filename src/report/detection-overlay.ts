import type { Report } from './report.js';

/** A detection box in the original image's pixels. */
export interface OverlayBox {
  x1: number; y1: number; x2: number; y2: number;
  score: number;
  label: string;
}

/** What the HTML report draws: the image (downscaled JPEG) with FP32 and per-candidate INT8 boxes. */
export interface Overlay {
  image: string;
  dataUri: string;
  width: number;
  height: number;
  fp32: OverlayBox[];
  int8: { candidate: string; boxes: OverlayBox[] }[];
}

type Loose = Record<string, unknown>;

/** Accepts {x1,y1,x2,y2} or {box: [x1,y1,x2,y2]} (or xyxy), with score/conf and label/name/cls. */
function toBox(d: unknown): OverlayBox | undefined {
  if (!d || typeof d !== 'object') return undefined;
  const o = d as Loose;
  const arr = (o.box ?? o.xyxy ?? o.bbox) as unknown;
  const [x1, y1, x2, y2] = Array.isArray(arr) ? (arr as number[]) : [o.x1, o.y1, o.x2, o.y2] as number[];
  if (![x1, y1, x2, y2].every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
  const score = Number(o.score ?? o.conf ?? o.confidence ?? NaN);
  const label = String(o.label ?? o.name ?? o.className ?? o.cls ?? o.class ?? '');
  return { x1: x1!, y1: y1!, x2: x2!, y2: y2!, score, label };
}

function boxesOf(v: unknown): OverlayBox[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map(toBox).filter((b): b is OverlayBox => !!b);
}

/**
 * Detections for one image as the detection-head analysis exposes them in
 * `candidates[k].analyses.head.detections`: {image, fp32: [...boxes], int8: [...boxes]} (the shape
 * is documented in docs/reports.md). Returns why not when absent.
 */
function findDetections(report: Report): { image: string; fp32: OverlayBox[]; int8: { candidate: string; boxes: OverlayBox[] }[] } | { note: string } {
  let image: string | undefined;
  let fp32: OverlayBox[] | undefined;
  const int8: { candidate: string; boxes: OverlayBox[] }[] = [];
  for (const c of report.candidates) {
    const head = c.analyses.head as Loose | undefined;
    const det = head?.detections as Loose | undefined;
    if (!det || typeof det !== 'object') continue;
    const img = typeof det.image === 'string' ? det.image : undefined;
    const f = boxesOf(det.fp32);
    const t = boxesOf(det.int8);
    if (!img || !f || !t) continue;
    if (image && img !== image) continue;
    image = img; fp32 = f;
    int8.push({ candidate: c.model.path, boxes: t });
  }
  if (!image || !fp32) {
    return { note: report.candidates.some((c) => c.analyses.head) ? 'the detection-head analysis did not expose per-image detections' : 'no detection-head analysis ran (detections are drawn when the head analysis exposes them)' };
  }
  return { image, fp32, int8 };
}

/** Embeds the image as a JPEG at most `maxWidth` wide and scales the boxes with it. */
export async function buildOverlay(report: Report, maxWidth = 640): Promise<Overlay | { note: string }> {
  const d = findDetections(report);
  if ('note' in d) return d;
  const { default: sharp } = await import('sharp'); // loaded on first use, as in image-loader.ts
  let jpeg: Buffer, width: number, height: number, scale: number;
  try {
    const meta = await sharp(d.image).metadata();
    // EXIF orientations 5-8 swap width and height once rotate() applies them.
    const w0 = ((meta.orientation ?? 1) >= 5 ? meta.height : meta.width) || 1;
    const out = await sharp(d.image).rotate().resize({ width: maxWidth, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer({ resolveWithObject: true });
    jpeg = out.data; width = out.info.width; height = out.info.height;
    scale = width / w0;
  } catch (e) {
    return { note: `cannot read ${d.image} for the overlay (${(e as Error).message})` };
  }
  const s = (b: OverlayBox): OverlayBox => ({ ...b, x1: b.x1 * scale, y1: b.y1 * scale, x2: b.x2 * scale, y2: b.y2 * scale });
  return {
    image: d.image, dataUri: `data:image/jpeg;base64,${jpeg.toString('base64')}`, width, height,
    fp32: d.fp32.map(s), int8: d.int8.map((c) => ({ candidate: c.candidate, boxes: c.boxes.map(s) })),
  };
}
