import type { GraphProto, NodeProto } from 'onnx-buf';
import { indexGraph, type GraphIndex } from '../graph/graph-index.js';
import { isFloatDType } from '../tensor/dtype.js';
import { isParameterPath, logicalTensors, type LogicalTensor } from '../graph/qdq.js';
import { mustGet } from '../errors.js';

/** A compute node of the activation graph, with every tensor under its logical (FP32) name. */
export interface LogicalNode {
  node: NodeProto;
  opType: string;
  /** Activation inputs (weights, constants and shape arithmetic dropped). */
  inputs: string[];
  outputs: string[];
}

/**
 * The activation graph of a model with Q/DQ pairs made transparent: QuantizeLinear and
 * DequantizeLinear nodes disappear and X, X_QuantizeLinear_Input and X_DequantizeLinear_Output all
 * become X (the naming of graph/qdq.ts). Structural analyses (detector head discovery, lint) then
 * see the same graph in an FP32 model and in its Q/DQ copy.
 */
export interface LogicalGraph {
  /** Compute nodes in topological order. */
  nodes: LogicalNode[];
  producer: Map<string, LogicalNode>;
  consumers: Map<string, LogicalNode[]>;
  inputs: string[];
  /** Logical names of the graph outputs. */
  outputs: string[];
  /** Position of every activation in topological order. */
  order: Map<string, number>;
  /** Declared shapes (value_info, inputs, outputs), by logical name; symbolic dims are -1. */
  shapes: Map<string, number[]>;
  /** What each logical tensor is in this graph (the tensor to fetch, its Q/DQ scale). */
  tensors: Map<string, LogicalTensor>;
  index: GraphIndex;
}

const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);

export function buildLogicalGraph(graph: GraphProto, referenceNames: ReadonlySet<string> = new Set()): LogicalGraph {
  const g = indexGraph(graph);
  const tensors = logicalTensors(graph, g, referenceNames);
  const logicalOf = new Map<string, string>();
  for (const [name, t] of tensors) {
    logicalOf.set(t.actual, name);
    if (t.preQuant) logicalOf.set(t.preQuant, name);
  }
  // Shape arithmetic (Shape → Gather → Concat → Reshape's shape input) is not data flow.
  const isActivation = (name: string): boolean => {
    if (!name || isParameterPath(g, name)) return false;
    const d = g.declaredType.get(name);
    return d === undefined || isFloatDType(d);
  };
  const rename = (n: string) => logicalOf.get(n) ?? n;

  const nodes: LogicalNode[] = [];
  const producer = new Map<string, LogicalNode>();
  const consumers = new Map<string, LogicalNode[]>();
  for (const node of g.nodes) {
    if (QDQ.has(node.opType)) continue;
    const outputs = node.output.filter(isActivation).map(rename);
    if (outputs.length === 0) continue;
    const inputs = [...new Set(node.input.filter(isActivation).map(rename))];
    const ln: LogicalNode = { node, opType: node.opType, inputs, outputs };
    nodes.push(ln);
    for (const o of outputs) producer.set(o, ln);
    for (const i of inputs) {
      const list = consumers.get(i);
      if (list) list.push(ln); else consumers.set(i, [ln]);
    }
  }
  const order = new Map<string, number>();
  let k = 0;
  for (const i of g.inputs) order.set(rename(i), k++);
  for (const n of nodes) for (const o of n.outputs) if (!order.has(o)) order.set(o, k++);

  const shapes = new Map<string, number[]>();
  for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    const tt = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    if (!tt?.shape) continue;
    shapes.set(rename(v.name), tt.shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : -1)));
  }
  return { nodes, producer, consumers, inputs: g.inputs.map(rename), outputs: g.outputs.map(rename), order, shapes, tensors, index: g };
}

/** Every activation upstream of `start` (inclusive). */
export function ancestors(lg: LogicalGraph, start: string): Set<string> {
  return reach(start, (t) => lg.producer.get(t)?.inputs ?? []);
}

/** Every activation downstream of `start` (inclusive). */
export function descendants(lg: LogicalGraph, start: string): Set<string> {
  return reach(start, (t) => (lg.consumers.get(t) ?? []).flatMap((c) => c.outputs));
}

/** Depth-first closure of `start` under `next`. */
function reach(start: string, next: (t: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push(...next(t));
  }
  return seen;
}

/**
 * The tensors every path from the graph inputs to every tensor of `targets` passes through, nearest
 * to the targets first (the dominator chain of a virtual sink fed by the targets). Cooper, Harvey &
 * Kennedy's iterative algorithm; one pass suffices because tensors are visited in topological order.
 */
export function commonDominators(lg: LogicalGraph, targets: readonly string[]): string[] {
  const ROOT = '\u0000root';
  const idom = new Map<string, string>();
  const depth = new Map<string, number>([[ROOT, 0]]);
  const intersect = (a: string, b: string): string => {
    while (a !== b) {
      while (mustGet(depth, a) > mustGet(depth, b)) a = mustGet(idom, a);
      while (mustGet(depth, b) > mustGet(depth, a)) b = mustGet(idom, b);
      if (a !== b) { a = mustGet(idom, a); b = mustGet(idom, b); }
    }
    return a;
  };
  const set = (t: string, preds: string[]) => {
    const known = preds.filter((p) => depth.has(p));
    const d = known.length === 0 ? ROOT : known.reduce(intersect);
    idom.set(t, d);
    depth.set(t, mustGet(depth, d) + 1);
  };
  const sorted = [...lg.order.keys()].sort((a, b) => mustGet(lg.order, a) - mustGet(lg.order, b));
  for (const t of sorted) set(t, lg.producer.get(t)?.inputs ?? []);
  const SINK = '\u0000sink';
  set(SINK, [...targets]);
  const chain: string[] = [];
  for (let t = mustGet(idom, SINK); t !== ROOT; t = mustGet(idom, t)) chain.push(t);
  return chain;
}
