import type { GraphProto, NodeProto, TensorProto } from 'onnx-buf';
import type { GraphIndex } from './graph-index.js';
import { producerOf } from './graph-index.js';
import type { LogicalTensor } from './qdq.js';
import { at } from '../errors.js';

/**
 * Activations a quantizer folds into the quantization of the op before them.
 *
 * A Relu or Clip right after a Conv/Gemm/MatMul/Add clamps the same range the following
 * QuantizeLinear (or QLinear op) already clamps to once the range starts at the clamp, so
 * quantizers delete it: ONNX Runtime's QDQ quantizer (asymmetric activations) removes the node and
 * gives its output name to the op before it (`Conv → /Relu_output_0 → Q/DQ`); its QOperator format
 * keeps the op's own name (`QLinearConv → /conv1/Conv_output_0_quantized`, clamped). Either way one
 * INT8 value stands for two FP32 tensors, the op's raw output F and the activated L = act(F), and
 * which of the two names the INT8 model kept says nothing about which value it holds.
 *
 * The quantized value is L (the clamp is in its range); in Q/DQ form the float the QuantizeLinear
 * reads is F (the op's raw output, before the clamp). Pairing uses this to compare like with like,
 * and float fallback to put the activation back when it removes the Q/DQ that held it.
 */
const FOLDABLE_ACTIVATIONS = new Set(['Relu', 'Clip']);

/** One FP32 activation chain F → act → … → L, each intermediate read by the next link only. */
export interface ActivationChain {
  /** FP32 tensor the chain reads: the raw output of `producer`. */
  raw: string;
  /** FP32 tensor the chain writes. */
  activated: string;
  /** The FP32 activation nodes, first to last. */
  nodes: NodeProto[];
  /** Op type of the node producing `raw` (Conv, Gemm, ...). */
  producerOp: string;
}

/** Every maximal chain of foldable activations in an FP32 graph, keyed by the activated tensor. */
export function activationChains(g: GraphIndex): Map<string, ActivationChain> {
  const out = new Map<string, ActivationChain>();
  const graphOutputs = new Set(g.outputs);
  for (const node of g.nodes) {
    if (!FOLDABLE_ACTIVATIONS.has(node.opType) || !node.input[0] || !node.output[0]) continue;
    // Only chain ends: a foldable activation whose output feeds another foldable one is a middle link.
    const readers = g.consumers.get(node.output[0]) ?? [];
    if (!graphOutputs.has(node.output[0]) && readers.length === 1 && FOLDABLE_ACTIVATIONS.has(at(g.nodes, at(readers, 0)).opType)) continue;
    const nodes = [node];
    let raw = node.input[0];
    for (;;) {
      const p = producerOf(g, raw);
      if (!p || !FOLDABLE_ACTIVATIONS.has(p.opType) || (g.consumers.get(raw) ?? []).length !== 1 || graphOutputs.has(raw)) break;
      nodes.unshift(p);
      raw = at(p.input, 0);
    }
    const producer = producerOf(g, raw);
    if (!producer || (g.consumers.get(raw) ?? []).length !== 1 || graphOutputs.has(raw)) continue;
    out.set(node.output[0], { raw, activated: node.output[0], nodes, producerOp: producer.opType });
  }
  return out;
}

/** The float op type a QOperator op computes (QLinearConv → Conv, QGemm → Gemm). */
function floatOpType(opType: string): string {
  if (opType.startsWith('QLinear')) return opType.slice('QLinear'.length);
  if (opType === 'QGemm') return 'Gemm';
  return opType;
}

/**
 * The constant a node input names in `graph`: an initializer, or the value of a Constant node.
 * Used to carry a folded Clip's min/max from the FP32 graph into a rewritten INT8 graph.
 */
export function constantOf(graph: GraphProto, name: string): TensorProto | undefined {
  const init = graph.initializer.find((t) => t.name === name);
  if (init) return init;
  const c = graph.node.find((n) => n.opType === 'Constant' && n.output[0] === name);
  const v = c?.attribute.find((a) => a.name === 'value')?.t;
  return v ? { ...v, name } : undefined;
}

export interface FoldedPairing {
  /** FP32 raw tensors that have no INT8 value of their own (QOperator): raw → activated. */
  absorbed: Map<string, string>;
  /** FP32 activated tensor → the chain folded into its INT8 quantization. */
  folded: Map<string, ActivationChain>;
}

/**
 * Rewrites the INT8 side's logical map (`test`, from logicalTensors) so that, for every FP32 chain
 * whose activation the INT8 model folded, the quantized value stands for the activated tensor and
 * the Q/DQ float input (if any) for the raw one. A chain the INT8 model kept (its own Relu/Clip, as
 * with symmetric activations) is left alone.
 */
export function resolveFoldedActivations(chains: ReadonlyMap<string, ActivationChain>, test: Map<string, LogicalTensor>, testGraph: GraphIndex): FoldedPairing {
  const absorbed = new Map<string, string>();
  const folded = new Map<string, ActivationChain>();
  const producerType = (name: string | undefined) => (name ? producerOf(testGraph, name)?.opType : undefined);
  for (const c of chains.values()) {
    const tF = test.get(c.raw);
    const tL = test.get(c.activated);
    // Q/DQ, renamed: the activated name is a DequantizeLinear of the raw op's output.
    if (tL?.kind === 'dequantized' && tL.preQuant && producerType(tL.preQuant) === c.producerOp && (!tF || tF.actual === tL.preQuant)) {
      test.set(c.raw, { logical: c.raw, actual: tL.preQuant, kind: 'float', node: producerOf(testGraph, tL.preQuant) });
      folded.set(c.activated, c);
      continue;
    }
    // Q/DQ, name kept: the raw name is quantized and nothing in INT8 carries the activated name.
    if (tF?.kind === 'dequantized' && tF.preQuant && !tL && producerType(tF.preQuant) === c.producerOp) {
      test.set(c.activated, { ...tF, logical: c.activated });
      test.set(c.raw, { logical: c.raw, actual: tF.preQuant, kind: 'float', node: producerOf(testGraph, tF.preQuant) });
      folded.set(c.activated, c);
      continue;
    }
    // QOperator: the QLinear op's integer output (named after the raw tensor) holds the clamped value.
    if (tF?.kind === 'quantized' && tF.node && floatOpType(tF.node.opType) === c.producerOp) {
      const sameValue = !tL || (tL.kind === 'dequantized' && producerOf(testGraph, tL.actual)?.input[0] === tF.actual);
      if (!sameValue) continue;
      if (!tL) test.set(c.activated, { ...tF, logical: c.activated });
      test.delete(c.raw);
      absorbed.set(c.raw, c.activated);
      folded.set(c.activated, c);
    }
  }
  return { absorbed, folded };
}
