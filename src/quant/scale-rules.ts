import type { GraphProto } from 'onnx-buf';
import { indexGraph } from '../graph/graph-index.js';
import { mustGet } from '../errors.js';

/**
 * Scale sharing that TensorRT imposes on an INT8 network (and that shows in its Entropy2 caches:
 * a pooling layer's entry repeats its input's):
 *   - Concat: its inputs and its output get one scale, so the concatenation is a copy of int8
 *     bytes with no requantization. The shared amax is the largest of the members' amaxes (no
 *     member is clipped harder than its own calibration asked for).
 *   - MaxPool / AveragePool: the output uses the input's scale (max-pooling picks input values, so
 *     they are representable at the input's scale).
 * Both rules are transitive (SPPF: a chain of pools whose outputs all meet in one Concat), so
 * tensors are grouped with union-find and every group takes one amax: the max over its members,
 * not counting pooling outputs, which inherit rather than contribute.
 */
const POOL_OPS = new Set(['MaxPool', 'AveragePool']);

export function applyScaleRules(amax: ReadonlyMap<string, number>, graph: GraphProto): Map<string, number> {
  const g = indexGraph(graph);
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = mustGet(parent, r);
    // path compression
    let y = x;
    while (y !== r) { const next = mustGet(parent, y); parent.set(y, r); y = next; }
    return r;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  const inheriting = new Set<string>();
  for (const n of g.nodes) {
    const out = n.output[0];
    if (!out || !amax.has(out)) continue;
    if (n.opType === 'Concat') {
      for (const i of n.input) if (i && amax.has(i)) union(out, i);
    } else if (POOL_OPS.has(n.opType) && n.input[0] && amax.has(n.input[0])) {
      union(n.input[0], out);
      inheriting.add(out);
    }
  }
  const groupMax = new Map<string, number>();
  for (const name of parent.keys()) {
    if (inheriting.has(name)) continue;
    const r = find(name);
    groupMax.set(r, Math.max(groupMax.get(r) ?? 0, mustGet(amax, name)));
  }
  const out = new Map(amax);
  for (const name of parent.keys()) {
    const shared = groupMax.get(find(name));
    if (shared !== undefined) out.set(name, shared);
  }
  return out;
}
