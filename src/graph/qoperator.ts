import type { NodeProto } from 'onnx-buf';
import { elementReader, numel, type Tensor } from '../tensor/tensor.js';

/**
 * QOperator models (ONNX Runtime's QuantFormat.QOperator, and what model zoos publish as "-int8"):
 * layers are integer ops (QLinearConv, QGemm, QLinearAdd, ...) whose uint8/int8 outputs carry their
 * own scale and zero point as inputs of the producing node. Such an output stands for the float
 * tensor (output − zero_point) · scale.
 *
 * Positions of the output scale and zero point among the node's inputs, per the ONNX and
 * com.microsoft op schemas.
 */
const OUTPUT_QPARAMS: Record<string, [number, number]> = {
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  QLinearAdd: [6, 7],
  QLinearMul: [6, 7],
  QLinearConcat: [0, 1],
  QLinearSigmoid: [3, 4],
  QLinearLeakyRelu: [3, 4],
  QLinearSoftmax: [3, 4],
  QLinearAveragePool: [3, 4],
  QLinearGlobalAveragePool: [3, 4],
  QLinearReduceMean: [3, 4],
  QLinearWhere: [7, 8],
  QGemm: [7, 8], // without y_scale QGemm's output is float
  QuantizeLinear: [1, 2],
};

/**
 * Ops that move integer values without changing their quantization (the output keeps the input's
 * scale and zero point): ONNX Runtime runs these on uint8/int8 tensors between QLinear ops.
 */
const PASSTHROUGH = new Set([
  'MaxPool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Resize', 'Slice',
  'Gather', 'Split', 'Pad', 'DepthToSpace', 'SpaceToDepth', 'GlobalMaxPool', 'Expand', 'Tile',
]);

export interface QParamNames { scale: string; zeroPoint?: string }

/** Scale/zero-point input names of a quantized output of `node`, or undefined when its output is not quantized. */
export function outputQParams(node: NodeProto): QParamNames | undefined {
  const pos = OUTPUT_QPARAMS[node.opType];
  if (!pos) return undefined;
  const scale = node.input[pos[0]];
  if (!scale) return undefined;
  const zp = node.input[pos[1]];
  return { scale, ...(zp ? { zeroPoint: zp } : {}) };
}

export function isQuantizedPassthrough(node: NodeProto): boolean {
  return PASSTHROUGH.has(node.opType);
}

/** Is `opType` an integer op of a QOperator model (its outputs are quantized values)? */
export function isQLinearOp(opType: string): boolean {
  return opType in OUTPUT_QPARAMS && opType !== 'QuantizeLinear';
}

/**
 * float32 (q − zero_point) · scale of an integer tensor: per-tensor (one scale), or per-channel along
 * axis 1 when there are as many scales as channels.
 */
export function dequantizeTensor(t: Tensor, scale: readonly number[], zeroPoint: readonly number[] | undefined, name = t.name): Tensor {
  const read = elementReader(t);
  const n = t.data.length;
  const out = new Float32Array(n);
  const per = scale.length > 1;
  const inner = per ? numel(t.shape.slice(2)) : 1;
  for (let i = 0; i < n; i++) {
    const c = per ? Math.floor(i / inner) % scale.length : 0;
    out[i] = (read(i) - (zeroPoint?.[c] ?? 0)) * scale[c]!;
  }
  return { name, dtype: 'float32', shape: t.shape, data: out };
}
