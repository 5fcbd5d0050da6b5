import type { GraphProto, NodeProto } from 'onnx-buf';
import { type DType, dtypeFromOnnx } from '../tensor/dtype.js';
import { at } from '../errors.js';

/**
 * Read-only index over an ONNX main graph: nodes in topological order, who produces and who
 * consumes each tensor, which names are initializers, graph inputs and outputs, and the element
 * type of every tensor whose type the model declares.
 */
export interface GraphIndex {
  /** Nodes in topological order (Kahn, stable with respect to file order). */
  nodes: NodeProto[];
  /** tensor name → index into `nodes` of its producer. */
  producer: Map<string, number>;
  /** tensor name → indices of consuming nodes. */
  consumers: Map<string, number[]>;
  initializers: Set<string>;
  /** Graph inputs that are not initializers (what a caller must feed). */
  inputs: string[];
  outputs: string[];
  /** Declared element types from inputs, outputs and value_info. */
  declaredType: Map<string, DType>;
  /** Position of each tensor in topological order: graph inputs first, then node outputs. */
  order: Map<string, number>;
}

export function indexGraph(graph: GraphProto): GraphIndex {
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.map((v) => v.name).filter((n) => !initializers.has(n));
  const outputs = graph.output.map((v) => v.name);
  const declaredType = new Map<string, DType>();
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const tt = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    const d = tt ? dtypeFromOnnx(tt.elemType) : undefined;
    if (d) declaredType.set(v.name, d);
  }
  for (const t of graph.initializer) {
    const d = dtypeFromOnnx(t.dataType);
    if (d) declaredType.set(t.name, d);
  }

  const nodes = topologicalSort(graph.node, new Set([...initializers, ...inputs]));
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.output) if (o) producer.set(o, i);
    for (const inp of n.input) {
      if (!inp) continue;
      const list = consumers.get(inp);
      if (list) list.push(i); else consumers.set(inp, [i]);
    }
  });
  const order = new Map<string, number>();
  let k = 0;
  for (const name of inputs) order.set(name, k++);
  for (const n of nodes) for (const o of n.output) if (o && !order.has(o)) order.set(o, k++);
  return { nodes, producer, consumers, initializers, inputs, outputs, declaredType, order };
}

/**
 * Kahn's algorithm; among ready nodes the one earliest in the file goes first, so an already
 * sorted graph keeps its order. Nodes that can never run (cycles, missing inputs) keep file order
 * at the end rather than vanishing: the runtime will report them.
 * @internal
 */
export function topologicalSort(nodes: readonly NodeProto[], available: Set<string>): NodeProto[] {
  const have = new Set(available);
  const waiting = new Map<string, number[]>();
  const missing = new Array<number>(nodes.length).fill(0);
  const ready: number[] = [];
  nodes.forEach((n, i) => {
    const need = new Set(n.input.filter((x) => x && !have.has(x)));
    missing[i] = need.size;
    for (const x of need) {
      const list = waiting.get(x);
      if (list) list.push(i); else waiting.set(x, [i]);
    }
    if (need.size === 0) ready.push(i);
  });
  const out: NodeProto[] = [];
  const done = new Array<boolean>(nodes.length).fill(false);
  // ready is kept sorted ascending; a binary heap is not needed for graphs of this size.
  for (let i = ready.shift(); i !== undefined; i = ready.shift()) {
    const node = at(nodes, i);
    done[i] = true;
    out.push(node);
    for (const o of node.output) {
      if (!o || have.has(o)) continue;
      have.add(o);
      for (const j of waiting.get(o) ?? []) {
        const left = at(missing, j) - 1;
        missing[j] = left;
        if (left === 0) insertSorted(ready, j);
      }
    }
  }
  nodes.forEach((n, i) => { if (!done[i]) out.push(n); });
  return out;
}

function insertSorted(a: number[], v: number): void {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(a, mid) < v) lo = mid + 1; else hi = mid;
  }
  a.splice(lo, 0, v);
}

/** The node that produces `name`, if any. */
export function producerOf(g: GraphIndex, name: string): NodeProto | undefined {
  const i = g.producer.get(name);
  return i === undefined ? undefined : g.nodes[i];
}

export function nodeLabel(n: NodeProto): string {
  return n.name || `${n.opType}(${n.output[0] ?? ''})`;
}
