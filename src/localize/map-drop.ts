import type { Sample } from '../inputs/input-source.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { cocoMap, toPredicted, type PredictedBox } from '../detect/coco-map.js';
import { MAP_DEFAULTS } from '../detect/decode.js';
import { HeadDecoder } from '../detect/head-decoder.js';
import { PRESETS, layoutFrom } from '../detect/head-spec.js';
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
  private readonly decoder: HeadDecoder;

  constructor(output: string, channels: [number, number | undefined], private readonly labelsDir: string) {
    const scores = { start: channels[0], ...(channels[1] !== undefined ? { end: channels[1] } : {}) };
    this.decoder = new HeadDecoder(layoutFrom({ ...PRESETS.yolov8, scores }, 'yolov8', output, output));
  }

  add(sample: Sample, out: Tensor): void {
    if (!sample.image) throw new UserError('map50_drop needs image inputs (with labels)', sample.id);
    const id = this.images.length;
    this.images.push({ id, file: sample.image.file, width: sample.image.letterbox.srcWidth, height: sample.image.letterbox.srcHeight });
    const v = this.decoder.view(new Map([[this.decoder.layout.boxOutput, out]]), sample, 'map50_drop');
    for (const d of this.decoder.detections(v, MAP_DEFAULTS, sample)) this.dets.push(toPredicted(d, id));
  }

  map50(): number {
    return cocoMap(groundTruthOf(this.images, this.labelsDir), this.dets, this.images.map((i) => i.id)).map50;
  }
}
