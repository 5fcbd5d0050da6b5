import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, at } from '../errors.js';
import { readInputText } from '../io/input-file.js';
import type { GroundTruthBox, XYWH } from './coco-map.js';

export interface LabelBox { cls: number; bbox: XYWH }

/** The label file of an image: <labels>/<image stem>.txt (Ultralytics' images/ ↔ labels/ convention). */
function labelFileFor(labelsDir: string, imageFile: string): string {
  return path.join(labelsDir, `${path.parse(imageFile).name}.txt`);
}

/**
 * YOLO labels (`class cx cy w h`, normalised 0-1) of one image as pixel [x, y, w, h] boxes. A
 * missing file means an image with no objects (Ultralytics treats it as background).
 */
function readYoloLabels(file: string, width: number, height: number): LabelBox[] {
  if (!fs.existsSync(file)) return [];
  const out: LabelBox[] = [];
  for (const [k, raw] of readInputText(file).split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const v = line.split(/\s+/).map(Number);
    if (v.length < 5 || v.some((x) => !Number.isFinite(x)) || !Number.isInteger(v[0]) || at(v, 0) < 0) {
      throw new UserError(`line ${k + 1}: expected "class cx cy w h" (normalised), got "${line.slice(0, 60)}"`, file);
    }
    // Segment labels (class x1 y1 x2 y2 ...) are not boxes; they are longer than 5 and odd in count.
    if (v.length !== 5) throw new UserError(`line ${k + 1}: ${v.length} values; only box labels (class cx cy w h) are supported`, file);
    const [cls, cx, cy, w, h] = v as [number, number, number, number, number];
    out.push({ cls, bbox: [(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height] });
  }
  return out;
}

/** Ground truth of evaluated images (ids and original sizes as recorded during the run). */
export function groundTruthOf(images: readonly { id: number; file: string; width: number; height: number }[], labelsDir: string): GroundTruthBox[] {
  if (!fs.existsSync(labelsDir) || !fs.statSync(labelsDir).isDirectory()) throw new UserError('labels folder not found', labelsDir);
  return images.flatMap((im) => readYoloLabels(labelFileFor(labelsDir, im.file), im.width, im.height).map((l) => ({ image: im.id, cls: l.cls, bbox: l.bbox })));
}
