import type { Sample } from '../inputs/input-source.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { cocoMap, toPredicted, type PredictedBox } from '../detect/coco-map.js';
import { MAP_DEFAULTS, decodeDetections, headView } from '../detect/decode.js';
import type { DetectorLayout } from '../detect/head-spec.js';
import { groundTruthOf } from '../detect/yolo-labels.js';

/**
 * mAP50 of one model over labelled images, from its single detector output (src/detect does the
 * decoding, NMS and COCO-style AP). Boxes are rows 0..4 (cx, cy, w, h in input pixels) and scores
 * the --score-channels rows of axis 1, as in YOLOv8's [1, 84, 8400]. Detections are kept per image
 * (≤ 300 each), never the outputs.
 */
export class Map50Meter {
  private readonly images: { id: number; file: string; width: number; height: number }[] = [];
  private readonly dets: PredictedBox[] = [];
  private readonly layout: DetectorLayout;

  constructor(output: string, channels: [number, number | undefined], private readonly labelsDir: string) {
    this.layout = { boxOutput: output, scoreOutput: output, layout: 'CxA', boxes: { start: 0, end: 4 }, scores: { start: channels[0], ...(channels[1] !== undefined ? { end: channels[1] } : {}) }, boxFormat: 'xywh' };
  }

  add(sample: Sample, out: Tensor): void {
    if (!sample.image) throw new UserError('map50_drop needs image inputs (with labels)', sample.id);
    const id = this.images.length;
    this.images.push({ id, file: sample.image.file, width: sample.image.letterbox.srcWidth, height: sample.image.letterbox.srcHeight });
    const v = headView(out, out, this.layout);
    for (const d of decodeDetections(v, MAP_DEFAULTS, sample.image.letterbox)) this.dets.push(toPredicted(d, id));
  }

  map50(): number {
    return cocoMap(groundTruthOf(this.images, this.labelsDir), this.dets, this.images.map((i) => i.id)).map50;
  }
}
