import * as path from 'node:path';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { initializerValues } from '../../src/graph/initializers.js';

/**
 * Break one activation of a Q/DQ model on purpose: multiply the scale of the QuantizeLinear that
 * quantizes `tensor` (and of the DequantizeLinear reading it) by `factor`, so that the tensor is
 * rounded on a grid `factor` times coarser. Writes the copy to `outDir` and returns its path.
 */
export function scaleActivationQdq(modelPath: string, tensor: string, factor: number, outDir: string): string {
  const m = loadModel(modelPath);
  const g = m.proto.graph!;
  const q = g.node.find((n) => n.opType === 'QuantizeLinear' && n.input[0] === tensor);
  if (!q) throw new Error(`no QuantizeLinear on ${tensor}`);
  const dq = g.node.filter((n) => n.opType === 'DequantizeLinear' && n.input[0] === q.output[0]);
  const names = new Set([q.input[1]!, ...dq.map((n) => n.input[1]!)]);
  for (const name of names) {
    const init = g.initializer.find((t) => t.name === name);
    if (!init) throw new Error(`scale ${name} is not an initializer`);
    const scaled = Float32Array.from(initializerValues(init), (v) => v * factor);
    init.rawData = new Uint8Array(scaled.buffer);
    init.floatData = [];
  }
  const out = path.join(outDir, `${path.basename(modelPath, '.onnx')}_x${factor}_${tensor.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  saveModel(m.proto, out);
  return out;
}
