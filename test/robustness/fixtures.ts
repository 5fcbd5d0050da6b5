import * as fs from 'node:fs';
import * as path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, TensorProtoSchema, TensorProto_DataLocation, type ModelProto } from 'onnx-buf';
import { saveModel } from '../../src/graph/onnx-model.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { affineReluModels, floatTensor, int8Tensor, model, node, valueInfo } from '../helpers/onnx-builder.js';

/**
 * Small broken or awkward inputs for the robustness suite, built in TypeScript so the suite needs
 * no binary fixtures (goldens/robustness/make_fixtures.py makes the few that must come from another
 * tool, pyarrow). Every builder writes into `dir` and returns the paths.
 */

export function writeNpy(file: string, shape: number[], values: number[]): string {
  fs.writeFileSync(file, encodeNpy({ name: 'x', dtype: 'float32', shape, data: Float32Array.from(values) }));
  return file;
}

/** The y = Relu(2x + 1) FP32 / Q/DQ pair and a matching [1,4] input. */
export function affinePair(dir: string): { fp32: string; int8: string; x: string } {
  const { fp32, int8 } = affineReluModels(0.05);
  const f = path.join(dir, 'affine_fp32.onnx'), q = path.join(dir, 'affine_int8.onnx');
  saveModel(fp32, f);
  saveModel(int8, q);
  return { fp32: f, int8: q, x: writeNpy(path.join(dir, 'x.npy'), [1, 4], [0.1, -0.4, 1.3, 0.05]) };
}

/** A model whose every tensor is named differently from the affine pair's (input included). */
export function disjointModel(dir: string): string {
  const m = model({
    nodes: [node('Mul', ['u', 'k'], ['v']), node('Relu', ['v'], ['w'])],
    inputs: [valueInfo('u', [1, 4])], outputs: [valueInfo('w', [1, 4])],
    initializers: [floatTensor('k', [], [3])],
  });
  const f = path.join(dir, 'disjoint.onnx');
  saveModel(m, f);
  return f;
}

/** The affine FP32 model with input x of shape [1,8] instead of [1,4]: same names, other shape. */
export function wideAffineModel(dir: string): string {
  const { fp32 } = affineReluModels(0.05);
  fp32.graph!.input = [valueInfo('x', [1, 8])];
  fp32.graph!.output = [valueInfo('y', [1, 8])];
  const f = path.join(dir, 'affine_wide.onnx');
  saveModel(fp32, f);
  return f;
}

/**
 * y = 1 / Log(x): x = 0 gives Log = -Inf and y = -0, x < 0 gives NaN, x = 1 gives Log = 0 and
 * y = +Inf. The "INT8" side puts a Q/DQ on x (scale 0.5) so the two sides also differ where finite.
 */
export function nanInfPair(dir: string): { fp32: string; int8: string; x: string } {
  const io = { inputs: [valueInfo('x', [1, 6])], outputs: [valueInfo('y', [1, 6])] };
  const fp32 = model({ ...io, nodes: [node('Log', ['x'], ['l']), node('Div', ['one', 'l'], ['y'])], initializers: [floatTensor('one', [], [1])] });
  const int8 = model({
    ...io,
    nodes: [
      node('QuantizeLinear', ['x', 's', 'zp'], ['x_QuantizeLinear_Output']),
      node('DequantizeLinear', ['x_QuantizeLinear_Output', 's', 'zp'], ['x_DequantizeLinear_Output']),
      node('Log', ['x_DequantizeLinear_Output'], ['l']), node('Div', ['one', 'l'], ['y']),
    ],
    initializers: [floatTensor('one', [], [1]), floatTensor('s', [], [0.5]), int8Tensor('zp', [], [0])],
  });
  const f = path.join(dir, 'naninf_fp32.onnx'), q = path.join(dir, 'naninf_int8.onnx');
  saveModel(fp32, f);
  saveModel(int8, q);
  return { fp32: f, int8: q, x: writeNpy(path.join(dir, 'naninf_x.npy'), [1, 6], [0, -1, 1, 2.2, 3.7, 0.3]) };
}

/** The affine FP32 model with its initializer "two" moved to an external file that is not there. */
export function missingExternalDataModel(dir: string): { model: string; dataFile: string; values: number[] } {
  const { fp32 } = affineReluModels(0.05);
  const two = fp32.graph!.initializer.find((t) => t.name === 'two')!;
  const values = [...two.floatData];
  two.floatData = [];
  two.dataLocation = TensorProto_DataLocation.EXTERNAL;
  two.externalData = [
    create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' }),
    create(StringStringEntryProtoSchema, { key: 'offset', value: '0' }),
    create(StringStringEntryProtoSchema, { key: 'length', value: '4' }),
  ];
  const f = path.join(dir, 'external.onnx');
  saveModel(fp32, f);
  return { model: f, dataFile: path.join(dir, 'weights.bin'), values };
}

/**
 * y = Relu(x + c_k) chained `links` times on an [1, n] input: `links · n · 4` bytes of activations,
 * produced by one elementwise op each (so ORT computes it fast). The "INT8" side rounds every link
 * through a Q/DQ so the comparison has real, nonzero errors.
 */
export function chainPair(dir: string, n: number, links: number): { fp32: string; int8: string } {
  const io = { inputs: [valueInfo('x', [1, n])], outputs: [valueInfo(`t${links}`, [1, n])] };
  const fpNodes = [], qNodes = [];
  const inits = [];
  for (let k = 1; k <= links; k++) {
    inits.push(floatTensor(`c${k}`, [], [0.01 * k]));
    fpNodes.push(node('Add', [`t${k - 1}`, `c${k}`], [`t${k}`]));
    qNodes.push(node('Add', [k === 1 ? 't0_DequantizeLinear_Output' : `t${k - 1}_DequantizeLinear_Output`, `c${k}`], [`t${k}`]));
    if (k < links) {
      qNodes.push(node('QuantizeLinear', [`t${k}`, 's', 'zp'], [`t${k}_QuantizeLinear_Output`]));
      qNodes.push(node('DequantizeLinear', [`t${k}_QuantizeLinear_Output`, 's', 'zp'], [`t${k}_DequantizeLinear_Output`]));
    }
  }
  const first = [node('Identity', ['x'], ['t0'])];
  const qFirst = [
    node('Identity', ['x'], ['t0']),
    node('QuantizeLinear', ['t0', 's', 'zp'], ['t0_QuantizeLinear_Output']),
    node('DequantizeLinear', ['t0_QuantizeLinear_Output', 's', 'zp'], ['t0_DequantizeLinear_Output']),
  ];
  const fp32: ModelProto = model({ ...io, nodes: [...first, ...fpNodes], initializers: inits });
  const int8: ModelProto = model({ ...io, nodes: [...qFirst, ...qNodes], initializers: [...inits, floatTensor('s', [], [0.02]), int8Tensor('zp', [], [0])] });
  const f = path.join(dir, `chain_${n}x${links}_fp32.onnx`), q = path.join(dir, `chain_${n}x${links}_int8.onnx`);
  saveModel(fp32, f);
  saveModel(int8, q);
  return { fp32: f, int8: q };
}

/** A [1,3,32,32] "image model" (y = 2x), so image-folder handling runs in milliseconds. */
export function tinyImageModel(dir: string): string {
  const m = model({
    nodes: [node('Mul', ['images', 'two'], ['y'])],
    inputs: [valueInfo('images', [1, 3, 32, 32])], outputs: [valueInfo('y', [1, 3, 32, 32])],
    initializers: [floatTensor('two', [], [2])],
  });
  const f = path.join(dir, 'tiny_image.onnx');
  saveModel(m, f);
  return f;
}

/**
 * Weight-heavy pair: t_k = MatMul(t_{k-1}, W_k) with `links` [n, n] float weights (links · n² · 4
 * bytes) on a [1, n] input, so activations are tiny and the sessions' initializers are what costs
 * memory. The "INT8" side rounds each activation through a Q/DQ; its weights stay float.
 */
export function weightHeavyPair(dir: string, n: number, links: number): { fp32: string; int8: string; weightBytes: number } {
  const io = { inputs: [valueInfo('x', [1, n])], outputs: [valueInfo(`t${links}`, [1, n])] };
  const weights = [];
  for (let k = 1; k <= links; k++) {
    const w = new Float32Array(n * n);
    // A scaled, shifted identity plus a little ripple: activations stay O(1) through the chain.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i * n + j] = (i === j ? 0.9 : 0) + ((i * 7 + j * 13 + k) % 17 - 8) / (64 * n);
    weights.push(create(TensorProtoSchema, { name: `w${k}`, dims: [BigInt(n), BigInt(n)], dataType: 1, rawData: new Uint8Array(w.buffer) }));
  }
  const fpNodes = [], qNodes = [];
  for (let k = 1; k <= links; k++) {
    fpNodes.push(node('MatMul', [`t${k - 1}`, `w${k}`], [`t${k}`]));
    qNodes.push(node('QuantizeLinear', [`t${k - 1}`, 's', 'zp'], [`t${k - 1}_QuantizeLinear_Output`]));
    qNodes.push(node('DequantizeLinear', [`t${k - 1}_QuantizeLinear_Output`, 's', 'zp'], [`t${k - 1}_DequantizeLinear_Output`]));
    qNodes.push(node('MatMul', [`t${k - 1}_DequantizeLinear_Output`, `w${k}`], [`t${k}`]));
  }
  const first = node('Identity', ['x'], ['t0']);
  const fp32 = model({ ...io, nodes: [first, ...fpNodes], initializers: weights });
  const int8 = model({ ...io, nodes: [first, ...qNodes], initializers: [...weights, floatTensor('s', [], [0.02]), int8Tensor('zp', [], [0])] });
  const f = path.join(dir, `weights_${n}x${links}_fp32.onnx`), q = path.join(dir, `weights_${n}x${links}_int8.onnx`);
  saveModel(fp32, f);
  saveModel(int8, q);
  return { fp32: f, int8: q, weightBytes: links * n * n * 4 };
}
