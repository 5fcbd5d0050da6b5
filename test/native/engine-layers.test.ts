import { describe, expect, it } from 'vitest';
import { indexGraph } from '../../src/graph/graph-index.js';
import { mapEngineTensors, onnxNodesOfMetadata, parseEngineLayers } from '../../src/native/engine-layers.js';
import { model, node, valueInfo } from '../helpers/onnx-builder.js';

// x → Conv(c) → Sigmoid(s) → Mul(c, s) = m → Relu(r) → y   (SiLU then Relu, as exported)
const g = indexGraph(model({
  nodes: [node('Conv', ['x', 'w'], ['c'], {}, '/conv/Conv'), node('Sigmoid', ['c'], ['s'], {}, '/act/Sigmoid'),
    node('Mul', ['c', 's'], ['m'], {}, '/act/Mul'), node('Relu', ['m'], ['y'], {}, '/relu/Relu')],
  inputs: [valueInfo('x', [1, 1, 4, 4])], outputs: [valueInfo('y', [1, 1, 4, 4])],
}).graph!);

describe('engine inspector layers → ONNX', () => {
  it('splits Metadata on both \\x1E and \\x1F and keeps only [ONNX Layer: …] entries', () => {
    expect(onnxNodesOfMetadata('[ONNX Layer: /a/Conv]\x1E[ONNX Layer: /b/Relu]\x1F[ONNX Layer: /c/Add]\x1Fsomething else'))
      .toEqual(['/a/Conv', '/b/Relu', '/c/Add']);
    expect(onnxNodesOfMetadata('')).toEqual([]);
  });

  it('parses detailed layers and bare layer names', () => {
    const layers = parseEngineLayers(JSON.stringify({ Layers: [
      { Name: 'fused', Metadata: '[ONNX Layer: /conv/Conv]\x1F[ONNX Layer: /act/Sigmoid]', Outputs: [{ Name: 'internal_0' }] }, 'reformat_0'] }));
    expect(layers).toEqual([
      { name: 'fused', onnxNodes: ['/conv/Conv', '/act/Sigmoid'], outputs: ['internal_0'] },
      { name: 'reformat_0', onnxNodes: [], outputs: [] },
    ]);
  });

  it('maps internal debug-tensor names to the exit tensor of their layer and reports fused tensors', () => {
    const layers = parseEngineLayers(JSON.stringify({ Layers: [
      // Conv+SiLU fused: c and s live only inside the layer; m leaves it. Output under an internal name.
      { Name: '/conv/Conv + PWN(/act/Sigmoid, /act/Mul)', Metadata: '[ONNX Layer: /act/Mul]\x1E[ONNX Layer: /conv/Conv]\x1F[ONNX Layer: /act/Sigmoid]', Outputs: [{ Name: 'Reformatted /act/Mul_out' }] },
      // Relu keeps the ONNX name (a marked output).
      { Name: '/relu/Relu', Metadata: '[ONNX Layer: /relu/Relu]', Outputs: [{ Name: 'y' }] },
      // A layer TensorRT added (no ONNX node): its output cannot be mapped and is named, not dropped.
      { Name: 'Reformatting CopyNode', Metadata: '', Outputs: [{ Name: 'copy_out' }] },
    ] }));
    const m = mapEngineTensors(layers, g);
    expect(m.tensors).toEqual([
      { engine: 'Reformatted /act/Mul_out', onnx: 'm', layer: '/conv/Conv + PWN(/act/Sigmoid, /act/Mul)' },
      { engine: 'y', onnx: 'y', layer: '/relu/Relu' },
    ]);
    expect(m.fused).toEqual([
      { onnx: 'c', layer: '/conv/Conv + PWN(/act/Sigmoid, /act/Mul)' },
      { onnx: 's', layer: '/conv/Conv + PWN(/act/Sigmoid, /act/Mul)' },
    ]);
    expect(m.unresolved).toEqual([{ engine: 'copy_out', layer: 'Reformatting CopyNode' }]);
  });
});

describe('engine layers with fused Q/DQ', () => {
  // x → Q → DQ → Conv → c → Q → DQ → Relu → y: TensorRT fuses DQ+Conv+Q into one INT8 layer.
  const q = (t: string) => [node('QuantizeLinear', [t, 's', 'zp'], [`${t}_q`], {}, `Q_${t}`), node('DequantizeLinear', [`${t}_q`, 's', 'zp'], [`${t}_dq`], {}, `DQ_${t}`)];
  const gq = indexGraph(model({
    nodes: [...q('x'), node('Conv', ['x_dq', 'w'], ['c'], {}, '/conv/Conv'), ...q('c'), node('Relu', ['c_dq'], ['y'], {}, '/relu/Relu')],
    inputs: [valueInfo('x', [1, 1, 4, 4])], outputs: [valueInfo('y', [1, 1, 4, 4])],
  }).graph!);

  it('Q/DQ nodes in a compute layer are transparent: the layer output is the compute node\'s float tensor', () => {
    const layers = parseEngineLayers(JSON.stringify({ Layers: [
      { Name: 'Q_x', Metadata: '[ONNX Layer: Q_x]', Outputs: [{ Name: '__mye1' }] },
      { Name: 'DQ_x + /conv/Conv + Q_c', Metadata: '[ONNX Layer: DQ_x]\x1F[ONNX Layer: /conv/Conv]\x1F[ONNX Layer: Q_c]', Outputs: [{ Name: '__mye2' }] },
      { Name: 'DQ_c + /relu/Relu', Metadata: '[ONNX Layer: DQ_c]\x1E[ONNX Layer: /relu/Relu]', Outputs: [{ Name: 'y' }] },
    ] }));
    const m = mapEngineTensors(layers, gq);
    expect(m.tensors.map((t) => [t.engine, t.onnx])).toEqual([['__mye1', 'x_q'], ['__mye2', 'c'], ['y', 'y']]);
    expect(m.fused).toEqual([]);
  });
});
