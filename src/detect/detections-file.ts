import { writeFileAtomic } from '../output/output-session.js';
import type { PredictedBox } from './coco-map.js';
import type { DecodeOptions } from './decode.js';
import type { ImageRecord } from './head-observer.js';

/**
 * `--save-detections` file: every model's detections in COCO results form (image_id, category_id =
 * class index, bbox = [x, y, w, h] in original-image pixels, score), so that an independent
 * evaluator (goldens/detect/map_eval.py, pycocotools) can score exactly what trt-diff scored.
 */
export interface DetectionsFile {
  format: 'trt-diff-detections/1';
  decode: DecodeOptions;
  images: ImageRecord[];
  models: { name: string; path: string; detections: { image_id: number; category_id: number; bbox: number[]; score: number }[] }[];
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

export function detectionsFile(decode: DecodeOptions, images: ImageRecord[], models: { name: string; path: string; dets: PredictedBox[] }[]): DetectionsFile {
  return {
    format: 'trt-diff-detections/1',
    decode,
    images,
    models: models.map((m) => ({
      name: m.name, path: m.path,
      // 1/1000 pixel and 1e-6 in score: far below what changes a match, keeps the file small.
      detections: m.dets.map((d) => ({ image_id: d.image, category_id: d.cls, bbox: d.bbox.map((v) => round(v, 3)), score: round(d.score, 6) })),
    })),
  };
}

export function writeDetectionsFile(file: string, data: DetectionsFile): void {
  writeFileAtomic(file, JSON.stringify(data));
}
