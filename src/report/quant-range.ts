import type { TensorProto } from 'onnx-buf';
import type { OnnxModel } from '../graph/onnx-model.js';
import { indexGraph, producerOf, type GraphIndex } from '../graph/graph-index.js';
import { initializerValues } from '../graph/initializers.js';
import { at } from '../errors.js';
import { graphOf } from '../graph/onnx-model.js';

/** The float interval a DequantizeLinear output can take: [(qmin − zp)·scale, (qmax − zp)·scale]. */
export interface QuantRange {
  lo: number;
  hi: number;
  scale: number;
  zeroPoint: number;
  type: 'int8' | 'uint8';
}

const INT8 = 3;

/**
 * Clip ranges of the per-tensor activation quantizers of a Q/DQ model, by DequantizeLinear output
 * name. The integer type comes from the zero point's element type (ONNX's default without one is
 * uint8). Symmetric int8 gives [−128·s, 127·s]; TensorRT's ±127·s differs only in the lowest code.
 */
export class QuantRanges {
  private readonly g: GraphIndex;
  private readonly init: Map<string, TensorProto>;
  constructor(model: OnnxModel) {
    this.g = indexGraph(graphOf(model.proto));
    this.init = new Map(graphOf(model.proto).initializer.map((t) => [t.name, t]));
  }

  of(dqOutput: string): QuantRange | undefined {
    const dq = producerOf(this.g, dqOutput);
    if (dq?.opType !== 'DequantizeLinear') return undefined;
    const s = this.init.get(dq.input[1] ?? '');
    if (!s) return undefined;
    const scales = initializerValues(s);
    if (scales.length !== 1) return undefined; // per-channel: no single clip range
    const zpProto = this.init.get(dq.input[2] ?? '');
    const zeroPoint = zpProto ? initializerValues(zpProto)[0] ?? 0 : 0;
    const type = zpProto?.dataType === INT8 ? 'int8' : 'uint8';
    const [qmin, qmax] = type === 'int8' ? [-128, 127] : [0, 255];
    const scale = at(scales, 0);
    return { lo: (qmin - zeroPoint) * scale, hi: (qmax - zeroPoint) * scale, scale, zeroPoint, type };
  }
}
