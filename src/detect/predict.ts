import * as path from 'node:path';
import type { OnnxModel } from '../graph/onnx-model.js';
import { OrtRunner } from '../runners/ort-runner.js';
import { samplesFrom, type InputOptions } from '../inputs/input-source.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { toPredicted, type PredictedBox } from './coco-map.js';
import type { DecodeOptions } from './decode.js';
import { HeadDecoder } from './head-decoder.js';
import type { DetectorLayout } from './head-spec.js';
import type { ImageRecord } from './head-observer.js';

/**
 * Detections of one model over image inputs, without the layer-by-layer comparison: the plain
 * model runs once per image and only its decoded detections are kept. Image ids are the
 * positions in the input stream, as in `--save-detections` files.
 */
export async function predictDetections(model: OnnxModel, layout: DetectorLayout, inputs: readonly string[], opt: DecodeOptions, inputOptions: InputOptions = {}): Promise<{ images: ImageRecord[]; detections: PredictedBox[] }> {
  const decoder = new HeadDecoder(layout);
  const runner = await OrtRunner.open(model);
  const images: ImageRecord[] = [];
  const detections: PredictedBox[] = [];
  try {
    for await (const s of samplesFrom(inputs, runner.describe().inputs, inputOptions)) {
      if (!s.image) throw new UserError('detections need image inputs', s.id);
      const outs = new Map<string, Tensor>();
      for await (const t of runner.run(s.feeds, { fetch: decoder.outputs })) outs.set(t.name, t);
      const id = images.length;
      images.push({ id, file: s.id, width: s.image.letterbox.srcWidth, height: s.image.letterbox.srcHeight });
      for (const d of decoder.detections(decoder.view(outs, s, path.basename(model.path)), opt, s)) detections.push(toPredicted(d, id));
    }
  } finally {
    await runner.close();
  }
  return { images, detections };
}
