import type { GraphIndex } from './graph-index.js';
import type { LogicalTensor } from './qdq.js';
import { mustGet, at } from '../errors.js';

/**
 * Tensors renamed between the FP32 and the INT8 model (a re-export numbers `onnx::Conv_41`
 * differently, a tool prefixes or rewrites names) still come from the same nodes: quantizers keep
 * node names (ONNX Runtime's QOperator format appends `_quant`). For every FP32 activation that no
 * INT8 tensor claims by name, the output at the same position of the INT8 node with the same name
 * (and the same op, or its QLinear form) stands for it, if no FP32 name claims that INT8 value.
 *
 * `test` (the INT8 side of logicalTensors) is rewritten in place: the entry moves to the FP32 name.
 */
export function claimByNodeName(ref: GraphIndex, refNames: ReadonlySet<string>, test: Map<string, LogicalTensor>, testGraph: GraphIndex): number {
  const byNodeName = new Map<string, number>();
  testGraph.nodes.forEach((n, i) => {
    if (!n.name) return;
    byNodeName.set(n.name, i);
    if (n.name.endsWith('_quant')) byNodeName.set(n.name.slice(0, -'_quant'.length), i);
  });
  // INT8 tensor name → the logical entries that carry it (a dequantized value first, then the float).
  const carriers = new Map<string, string[]>();
  for (const [logical, t] of test) {
    for (const name of t.kind === 'dequantized' && t.preQuant ? [t.preQuant, t.actual] : [t.actual]) {
      const l = carriers.get(name) ?? [];
      if (t.kind === 'dequantized') l.unshift(logical); else l.push(logical);
      carriers.set(name, l);
    }
  }
  let claimed = 0;
  for (const [name, i] of ref.producer) {
    if (test.has(name) || !refNames.has(name)) continue;
    const node = at(ref.nodes, i);
    const j = node.output.indexOf(name);
    const k = node.name ? byNodeName.get(node.name) : undefined;
    if (k === undefined) continue;
    const twin = at(testGraph.nodes, k);
    if (twin.opType !== node.opType && twin.opType !== `QLinear${node.opType}` && !(twin.opType === 'QGemm' && node.opType === 'Gemm')) continue;
    const out = twin.output[j];
    const logical = out ? carriers.get(out)?.find((l) => !refNames.has(l) && test.has(l)) : undefined;
    if (!logical) continue;
    const t = mustGet(test, logical);
    test.delete(logical);
    test.set(name, { ...t, logical: name });
    claimed++;
  }
  return claimed;
}
