import type { NodeProto } from 'onnx-buf';
import type { GraphIndex } from '../graph/graph-index.js';
import { isParameterPath } from '../graph/qdq.js';
import { at } from '../errors.js';

/**
 * Where TensorRT's implicit INT8 mode would read a tensor as int8, expressed as "which inputs of
 * which nodes get a QuantizeLinear → DequantizeLinear pair".
 *
 * 'conv-only': the activation inputs of Conv, ConvTranspose, Gemm and MatMul.
 *
 * 'trt' (default), additionally:
 *   - MaxPool / AveragePool inputs (TensorRT pools in int8);
 *   - Concat, Add and Mul inputs when the op sits inside an int8 region: every consumer of its output
 *     reads int8 (an int8 op, or another such elementwise op, possibly through shape-only ops like
 *     Reshape/Transpose/Split). That is how TensorRT fuses a residual Add into the Conv epilogue and
 *     turns a Concat into int8 copies; a Concat feeding a network output or a float op (Softmax,
 *     Sigmoid, Resize...) runs in float instead. Add/Mul need two activation inputs: an op with a
 *     constant operand is folded into the neighbouring layer's scale/bias, and Mul(x, Sigmoid(x))
 *     is a Swish activation fused into the Conv before it (computed in float inside the kernel).
 * Everything else (Sigmoid, Softmax, Resize, Div, Sub, Slice...) reads float.
 */
export type PlacementPolicy = 'conv-only' | 'trt';
export const PLACEMENTS: readonly PlacementPolicy[] = ['conv-only', 'trt'];

/** Ops with weights (second input) quantized per output channel. */
export const WEIGHTED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const POOLS = new Set(['MaxPool', 'AveragePool']);
const ELEMENTWISE = new Set(['Concat', 'Add', 'Mul']);
/** Data movement TensorRT runs in int8 without rescaling. */
const SHAPE_ONLY = new Set(['Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Split', 'Slice', 'Identity']);

export interface QuantizedInput {
  /** Node index in the GraphIndex's topological order. */
  node: number;
  /** Input position. */
  input: number;
  tensor: string;
}

/** Every (node, input) that reads an activation in int8 under `policy`. */
export function int8Inputs(g: GraphIndex, policy: PlacementPolicy): QuantizedInput[] {
  const feedsInt8Memo = new Map<string, boolean>();
  const elementwiseMemo = new Map<number, boolean>();
  const isActivation = (name: string): boolean => !!name && !isParameterPath(g, name);

  const coreReader = (n: NodeProto): boolean =>
    WEIGHTED_OPS.has(n.opType) || (policy === 'trt' && POOLS.has(n.opType));

  const elementwiseInt8 = (k: number): boolean => {
    const cached = elementwiseMemo.get(k);
    if (cached !== undefined) return cached;
    elementwiseMemo.set(k, false); // cycles (invalid graphs) end as float
    const n = at(g.nodes, k);
    const acts = n.input.filter(isActivation);
    let ok = policy === 'trt' && ELEMENTWISE.has(n.opType) && acts.length >= (n.opType === 'Concat' ? 1 : 2);
    if (ok && n.opType === 'Mul' && isSwish(g, n)) ok = false;
    if (ok) ok = feedsInt8(n.output[0] ?? '');
    elementwiseMemo.set(k, ok);
    return ok;
  };

  // Whether every consumer of `tensor` reads it as int8.
  const feedsInt8 = (tensor: string): boolean => {
    const cached = feedsInt8Memo.get(tensor);
    if (cached !== undefined) return cached;
    feedsInt8Memo.set(tensor, false);
    const users = g.consumers.get(tensor) ?? [];
    const ok = !!tensor && !g.outputs.includes(tensor) && users.length > 0 && users.every((k) => {
      const c = at(g.nodes, k);
      if (coreReader(c)) return true;
      if (ELEMENTWISE.has(c.opType)) return elementwiseInt8(k);
      if (SHAPE_ONLY.has(c.opType)) return c.input[0] === tensor && c.output.every((o) => !o || feedsInt8(o));
      return false;
    });
    feedsInt8Memo.set(tensor, ok);
    return ok;
  };

  const out: QuantizedInput[] = [];
  g.nodes.forEach((n, k) => {
    const reads = coreReader(n) || (ELEMENTWISE.has(n.opType) && elementwiseInt8(k));
    if (!reads) return;
    const positions = activationPositions(n);
    for (const i of positions) {
      const name = n.input[i];
      if (name && isActivation(name)) out.push({ node: k, input: i, tensor: name });
    }
  });
  return out;
}

/** Which inputs of an int8 node carry activations to quantize (weights and biases excluded). */
function activationPositions(n: NodeProto): number[] {
  switch (n.opType) {
    case 'Conv': case 'ConvTranspose': case 'MaxPool': case 'AveragePool':
      return [0];
    case 'Gemm': case 'MatMul':
      return [0, 1]; // B is quantized here only when it is an activation; initializers are weights
    default:
      return n.input.map((_, i) => i);
  }
}

/** Mul(x, Sigmoid(x)) in either operand order: SiLU/Swish. */
function isSwish(g: GraphIndex, n: NodeProto): boolean {
  const [a, b] = n.input;
  if (!a || !b) return false;
  const sig = (s: string, x: string) => {
    const p = g.producer.get(s);
    const node = p === undefined ? undefined : g.nodes[p];
    return node?.opType === 'Sigmoid' && node.input[0] === x;
  };
  return sig(a, b) || sig(b, a);
}
