import type { Letterbox } from '../inputs/image-loader.js';

/** Axis-aligned box as corners [x1, y1, x2, y2], in pixels. */
export type Box = [number, number, number, number];

export interface Detection {
  box: Box;
  score: number;
  cls: number;
  /** Anchor (prediction slot) the detection came from. */
  anchor: number;
}

function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union of two corner boxes (no +1 pixel convention, as torchvision and COCO). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  if (w <= 0) return 0;
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (h <= 0) return 0;
  const inter = w * h;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

export function xywhToXyxy(cx: number, cy: number, w: number, h: number): Box {
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/**
 * Network-input pixels → original-image pixels through the letterbox (undo padding, then scale),
 * clipped to the image, as Ultralytics' scale_boxes does. A plain resize (scale NaN) scales each
 * axis by its own factor.
 */
export function unletterbox(b: Box, lb: Letterbox): Box {
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  if (Number.isNaN(lb.scale)) {
    const sx = lb.srcWidth / lb.width, sy = lb.srcHeight / lb.height;
    return [clip(b[0] * sx, lb.srcWidth), clip(b[1] * sy, lb.srcHeight), clip(b[2] * sx, lb.srcWidth), clip(b[3] * sy, lb.srcHeight)];
  }
  const x = (v: number) => clip((v - lb.padLeft) / lb.scale, lb.srcWidth);
  const y = (v: number) => clip((v - lb.padTop) / lb.scale, lb.srcHeight);
  return [x(b[0]), y(b[1]), x(b[2]), y(b[3])];
}
