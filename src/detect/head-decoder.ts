import type { Sample } from '../inputs/input-source.js';
import { readNpy } from '../inputs/npy.js';
import type { Tensor } from '../tensor/tensor.js';
import { toFloat32 } from '../tensor/tensor.js';
import { UserError, at } from '../errors.js';
import type { Detection } from './boxes.js';
import { decodeDetections, headView, type DecodeOptions, type HeadView, type InputSize } from './decode.js';
import type { DetectorLayout } from './head-spec.js';

/** Formats whose boxes depend on the network input size. */
const SIZED = new Set(['cxcywh-norm', 'xyxy-norm', 'grid', 'priors', 'fastestdet']);

/**
 * Network input size of a sample: the letterbox of an image input, else the last two dims of the
 * first 4-D feed ([N, C, H, W]).
 */
function inputSizeOf(sample: Sample): InputSize | null {
  const lb = sample.image?.letterbox;
  if (lb) return { width: lb.width, height: lb.height };
  const t = Object.values(sample.feeds).find((f) => f.shape.length === 4);
  return t ? { width: at(t.shape, 3), height: at(t.shape, 2) } : null;
}

/**
 * One detector layout turned into per-image views and detections: the single place that reads
 * head outputs (the run's observer, `predict`, the map50 objective). Priors are read once.
 */
export class HeadDecoder {
  private readonly priors: Float32Array | null;

  constructor(readonly layout: DetectorLayout) {
    if (layout.boxFormat === 'priors' && layout.priors) {
      const t = readNpy(layout.priors, 'priors');
      if (t.shape[t.shape.length - 1] !== 4) throw new UserError(`priors must have shape [A, 4] (cx, cy, w, h normalised), got [${t.shape}]`, layout.priors);
      this.priors = toFloat32(t);
    } else {
      this.priors = null;
    }
  }

  /** The outputs this layout reads. */
  get outputs(): string[] {
    return [...new Set([this.layout.boxOutput, this.layout.scoreOutput])];
  }

  view(outputs: ReadonlyMap<string, Tensor>, sample: Sample, who: string): HeadView {
    const l = this.layout;
    const b = outputs.get(l.boxOutput), s = outputs.get(l.scoreOutput);
    if (!b || !s) throw new UserError(`${who}: detector output ${!b ? l.boxOutput : l.scoreOutput} was not produced (it must be a compared float output)`);
    const size = inputSizeOf(sample);
    if (!size && SIZED.has(l.boxFormat)) throw new UserError(`${who}: format=${l.boxFormat} needs the network input size, but sample ${sample.id} has no image or 4-D input`);
    return headView(b, s, l, size ?? { width: NaN, height: NaN }, this.priors);
  }

  detections(v: HeadView, opt: DecodeOptions, sample: Sample): Detection[] {
    return decodeDetections(v, opt, sample.image?.letterbox, this.layout.nms);
  }
}
