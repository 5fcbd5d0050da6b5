import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, TensorProtoSchema, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { initializerTensor, initializerValues } from '../graph/initializers.js';
import { elementReader, numel } from '../tensor/tensor.js';
import type { OnnxModel } from '../graph/onnx-model.js';
import type { ActivationPair, QdqStructure, QuantOp } from './qdq-ops.js';
import { pairModels } from '../compare/pairing.js';
import { constantOf, type ActivationChain } from '../graph/folded-activations.js';
import { at } from '../errors.js';
import { graphOf } from '../graph/onnx-model.js';

/**
 * Which quantization a rewritten model keeps. An activation pair is read over edges (DQ →
 * consumer); each edge belongs both to the pair's producer (its output quantization) and to the
 * consumer (its input quantization), so "keep op X in float" and "keep only op X quantized" are
 * different predicates over the same edges.
 */
export interface QdqPolicy {
  /** Whether `consumer` (graph.node index; undefined = a graph output) still reads the dequantized value. */
  keepEdge(pair: ActivationPair, consumer: number | undefined): boolean;
  /** Whether op `index` keeps its dequantized parameters. */
  keepWeights(index: number): boolean;
}

/** Ops in `float` run in float: no Q/DQ on their inputs or outputs, float weights. */
export function fallbackPolicy(float: ReadonlySet<number>): QdqPolicy {
  return {
    keepEdge: (p, c) => !(p.producer !== undefined && float.has(p.producer)) && !(c !== undefined && float.has(c)),
    keepWeights: (i) => !float.has(i),
  };
}

/**
 * Only ops in `quantized` keep their Q/DQ (input pairs, output pairs, weights); every other op runs
 * in float. Used by sensitivity analysis: one op quantized at a time.
 */
export function keepOnlyPolicy(quantized: ReadonlySet<number>): QdqPolicy {
  return {
    keepEdge: (p, c) => (p.producer !== undefined && quantized.has(p.producer)) || (c !== undefined && quantized.has(c)),
    keepWeights: (i) => quantized.has(i),
  };
}

export interface RewriteOptions {
  /**
   * Where the float weights of a float op come from. 'fp32': the FP32 model's initializer at the
   * same input of the node with the same name (what excluding the node from quantization gives);
   * 'dequantized': the Q/DQ model's own rounded values. 'fp32' falls back to 'dequantized' for a
   * weight it cannot match.
   */
  weights?: 'fp32' | 'dequantized';
  /**
   * The FP32 model. Also tells which Relu/Clip the quantizer folded into a Q/DQ
   * (graph/folded-activations.ts): a read that loses its Q/DQ gets that activation back.
   */
  fp32?: OnnxModel;
}

const foldedCache = new WeakMap<QdqStructure, { fp32: OnnxModel; bySource: Map<string, ActivationChain> }>();

/** Activation-pair source (the float the QuantizeLinear reads) → the FP32 chain folded into that Q/DQ. */
function foldedBySource(model: ModelProto, s: QdqStructure, fp32: OnnxModel): Map<string, ActivationChain> {
  const hit = foldedCache.get(s);
  if (hit && hit.fp32 === fp32) return hit.bySource;
  const pairing = pairModels(fp32, { path: '', proto: model });
  const bySource = new Map<string, ActivationChain>();
  for (const p of pairing.pairs) {
    const chain = pairing.folded.get(p.name);
    if (chain && p.test.preQuant) bySource.set(p.test.preQuant, chain);
  }
  foldedCache.set(s, { fp32, bySource });
  return bySource;
}

/**
 * A copy of `model` (the input is untouched; unchanged initializers are shared) in which every
 * dequantized read the policy drops reads the float source instead, and float ops' parameters
 * become float initializers. Dead Q/DQ nodes and initializers are removed.
 */
export function rewriteQdq(model: ModelProto, s: QdqStructure, policy: QdqPolicy, opt: RewriteOptions = {}): ModelProto {
  const graph = graphOf(model);
  const nodes: NodeProto[] = graph.node.map((n) => ({ ...n, input: [...n.input], output: [...n.output] }));
  const names = new NameSet(graph);
  const newInits: TensorProto[] = [];
  const folded = opt.fp32 ? foldedBySource(model, s, opt.fp32) : new Map<string, ActivationChain>();
  const reinstated = new Map<string, string>();
  // The float value a read gets instead of the dequantized one: the source, with any folded activation put back.
  const floatOf = (pair: ActivationPair): string => {
    const chain = folded.get(pair.source);
    if (!chain) return pair.source;
    let out = reinstated.get(pair.source);
    if (out) return out;
    out = pair.source;
    for (const a of chain.nodes) {
      const extra = a.input.slice(1).map((x) => {
        if (!x) return x;
        const c = constantOf(graphOf(opt.fp32!.proto), x);
        if (!c) throw new Error(`float fallback: ${a.opType} ${a.name} reads ${x}, which is not a constant of the FP32 model`);
        const t: TensorProto = { ...c, name: names.fresh(`${x}__reinstated`) };
        newInits.push(t);
        return t.name;
      });
      const y = names.fresh(`${pair.source}__${a.opType.toLowerCase()}`);
      nodes.push(create(NodeProtoSchema, { name: names.fresh(`${a.name || a.opType}__reinstated`), opType: a.opType, domain: a.domain, attribute: a.attribute, input: [out, ...extra], output: [y] }));
      out = y;
    }
    reinstated.set(pair.source, out);
    return out;
  };

  for (const pair of s.pairs) {
    for (const e of pair.edges) {
      if (policy.keepEdge(pair, e.consumer)) continue;
      const dqOut = at(graph.node[e.dq]!.output, 0);
      if (e.consumer !== undefined) {
        const c = nodes[e.consumer]!;
        const src = floatOf(pair);
        c.input = c.input.map((x) => (x === dqOut ? src : x));
      } else {
        // A graph output must keep its name: the DQ gives it up and an Identity of the float source takes it.
        const dq = nodes[e.dq]!;
        const renamed = names.fresh(`${dqOut}__quantized`);
        dq.output[0] = renamed;
        for (const c of nodes) if (c !== dq) c.input = c.input.map((x) => (x === dqOut ? renamed : x));
        nodes.push(create(NodeProtoSchema, { name: `${dqOut}__float`, opType: 'Identity', input: [floatOf(pair)], output: [dqOut] }));
      }
    }
  }

  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  const fp32 = opt.weights === 'fp32' && opt.fp32 ? fp32Weights(opt.fp32) : undefined;
  for (const op of s.ops) {
    if (op.weightInputs.length === 0 || policy.keepWeights(op.index)) continue;
    const node = nodes[op.index]!;
    for (const j of op.weightInputs) {
      const dqOut = graph.node[op.index]!.input[j]!;
      const dequantized = dequantizedInitializer(inits, s, dqOut);
      const original = fp32?.get(op.name)?.(j, op);
      // The FP32 weight replaces the rounded one only when it is the same tensor (same element count).
      const value = original && dequantized && numel(original.dims) === numel(dequantized.dims) ? { ...original, name: dequantized.name } : dequantized;
      if (!value) continue;
      const t: TensorProto = { ...value, name: names.fresh(value.name) };
      newInits.push(t);
      node.input[j] = t.name;
    }
  }

  const out: GraphProto = { ...graph, node: nodes, initializer: [...graph.initializer, ...newInits] };
  removeDeadCode(out);
  return { ...model, graph: out };
}

/** Nodes whose outputs nobody reads, and initializers nobody reads, are dropped (outputs are kept). */
export function removeDeadCode(graph: GraphProto): void {
  const needed = new Set(graph.output.map((o) => o.name));
  const keep = new Array<boolean>(graph.node.length).fill(false);
  // Reverse file order is not necessarily reverse topological order: iterate to a fixed point.
  let changed = true;
  while (changed) {
    changed = false;
    graph.node.forEach((n, i) => {
      if (keep[i] || !n.output.some((o) => o && needed.has(o))) return;
      keep[i] = true;
      changed = true;
      for (const x of n.input) if (x) needed.add(x);
      for (const a of n.attribute) if (a.g || a.graphs.length) for (const name of subgraphInputs(a.g ? [a.g] : a.graphs)) needed.add(name);
    });
  }
  graph.node = graph.node.filter((_, i) => keep[i]);
  const dropped = new Set(graph.initializer.filter((t) => !needed.has(t.name)).map((t) => t.name));
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
  // Models that list initializers as graph inputs (older exporters): a removed initializer's input goes too,
  // or ONNX Runtime would ask for it to be fed.
  if (dropped.size > 0) graph.input = graph.input.filter((i) => !dropped.has(i.name));
  const live = new Set<string>([...needed, ...graph.node.flatMap((n) => n.output)]);
  graph.valueInfo = graph.valueInfo.filter((v) => live.has(v.name));
}

/** Outer-scope names a subgraph reads (If/Loop bodies), so that their producers stay alive. */
function subgraphInputs(graphs: GraphProto[]): string[] {
  const out: string[] = [];
  for (const g of graphs) {
    const local = new Set([...g.initializer.map((t) => t.name), ...g.input.map((i) => i.name), ...g.node.flatMap((n) => n.output)]);
    for (const n of g.node) {
      for (const x of n.input) if (x && !local.has(x)) out.push(x);
      for (const a of n.attribute) out.push(...subgraphInputs(a.g ? [a.g] : a.graphs));
    }
  }
  return out;
}

class NameSet {
  private readonly used = new Set<string>();
  constructor(graph: GraphProto) {
    for (const t of graph.initializer) this.used.add(t.name);
    for (const i of graph.input) this.used.add(i.name);
    for (const n of graph.node) for (const o of n.output) this.used.add(o);
  }
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** float32 initializer = (q − zero_point) · scale of a DequantizeLinear over an initializer, per-tensor or per-axis. */
function dequantizedInitializer(inits: Map<string, TensorProto>, s: QdqStructure, dqOut: string): TensorProto | undefined {
  const p = s.index.producer.get(dqOut);
  const dq = p === undefined ? undefined : s.index.nodes[p];
  if (!dq || dq.opType !== 'DequantizeLinear') return undefined;
  const q = inits.get(dq.input[0] ?? '');
  const scaleT = inits.get(dq.input[1] ?? '');
  if (!q || !scaleT) return undefined;
  const zpT = dq.input[2] ? inits.get(dq.input[2]) : undefined;
  if (dq.input[2] && !zpT) return undefined;
  const qt = initializerTensor(q);
  const read = elementReader(qt);
  const scale = initializerValues(scaleT);
  const zp = zpT ? initializerValues(zpT) : new Float64Array(scale.length);
  const shape = qt.shape;
  const axisAttr = dq.attribute.find((a) => a.name === 'axis');
  const axis = axisAttr ? (Number(axisAttr.i) + shape.length) % Math.max(1, shape.length) : 1;
  const inner = scale.length > 1 ? numel(shape.slice(axis + 1)) : 1;
  const n = qt.data.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = scale.length > 1 ? Math.floor(i / inner) % scale.length : 0;
    out[i] = (read(i) - zp[c]!) * scale[c]!;
  }
  return floatInitializer(stripSuffix(dqOut), shape, out);
}

function stripSuffix(name: string): string {
  return name.replace(/_DequantizeLinear_Output$|_dequantized$/, '');
}

/** @internal */
export function floatInitializer(name: string, shape: readonly number[], data: Float32Array): TensorProto {
  return create(TensorProtoSchema, {
    name, dataType: 1, dims: shape.map((d) => BigInt(d)),
    rawData: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
  });
}

/**
 * FP32 parameters by node name: for the node with the same name and op type in the FP32 model, the
 * float initializer at the same input position when its element count matches the INT8 side.
 */
function fp32Weights(fp32: OnnxModel): Map<string, (j: number, op: QuantOp) => TensorProto | undefined> {
  const g = graphOf(fp32.proto);
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const out = new Map<string, (j: number, op: QuantOp) => TensorProto | undefined>();
  for (const n of g.node) {
    if (!n.name) continue;
    out.set(n.name, (j, op) => {
      if (n.opType !== op.opType) return undefined;
      const t = inits.get(n.input[j] ?? '');
      return t && t.dataType === 1 ? t : undefined;
    });
  }
  return out;
}
