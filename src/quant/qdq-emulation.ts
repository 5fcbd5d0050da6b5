import { create } from '@bufbuild/protobuf';
import {
  TensorProto_DataType, TensorProtoSchema,
  type GraphProto, type ModelProto, type NodeProto, type TensorProto,
} from 'onnx-buf';
import { indexGraph } from '../graph/graph-index.js';
import { intAttr, makeNode } from '../graph/node-builder.js';
import { initializerTensor } from '../graph/initializers.js';
import { toFloat32 } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { upgradeToOpset13, type UpgradeResult } from './opset-upgrade.js';
import { int8Inputs, WEIGHTED_OPS, type PlacementPolicy } from './placement.js';
import { quantizeWeightsPerChannel, weightAxis } from './weight-quantization.js';

/**
 * A Q/DQ ONNX model that computes what TensorRT's implicit INT8 mode computes for a calibration
 * cache, runnable on ONNX Runtime:
 *   - weights of Conv/ConvTranspose/Gemm/MatMul: int8 initializer + per-channel DequantizeLinear
 *     (weight-quantization.ts); biases stay float (TensorRT keeps them in higher precision);
 *   - activations: per-tensor symmetric int8, zero point 0, QuantizeLinear → DequantizeLinear on the
 *     inputs that placement.ts says TensorRT reads as int8; other consumers keep reading the float
 *     tensor.
 * Inserted tensors are named X_QuantizeLinear_Output / X_DequantizeLinear_Output, so graph/qdq.ts
 * pairs them with the FP32 tensor X when comparing.
 */
export interface QdqOptions {
  placement: PlacementPolicy;
  /** Model file, for error messages. */
  file: string;
  /** Tensor ranks where known (from calibration), to keep opset conversion minimal. */
  rank?: (tensor: string) => number | undefined;
}

export interface QdqResult {
  proto: ModelProto;
  /** Activations that got a Q/DQ pair, with their scale. */
  quantized: { tensor: string; scale: number; consumers: number }[];
  /** Activations that TensorRT would read as int8 but that have no usable scale: left float. */
  missing: { tensor: string; reason: string }[];
  weights: { tensor: string; axis: number; channels: number }[];
  /** Weights that stay float (produced by nodes rather than stored as initializers). */
  floatWeights: string[];
  upgrade: UpgradeResult;
}

export function buildQdqModel(source: ModelProto, scales: ReadonlyMap<string, number>, opt: QdqOptions): QdqResult {
  const upgrade = upgradeToOpset13(source, opt.file, opt.rank);
  const proto = upgrade.proto;
  const graph = proto.graph!;
  const g = indexGraph(graph);
  const names = new Set<string>([
    ...graph.initializer.map((t) => t.name), ...graph.input.map((v) => v.name),
    ...g.nodes.flatMap((n) => [...n.input, ...n.output]),
  ]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
    names.add(name);
    return name;
  };
  const initByName = new Map(graph.initializer.map((t) => [t.name, t]));
  const newInit: TensorProto[] = [];
  const prologue: NodeProto[] = []; // weight DQs and Q/DQ of graph inputs
  const after = new Map<number, NodeProto[]>(); // Q/DQ nodes to place after node k
  const rewired = new Map<number, string[]>(); // node k → new input list

  const inputsOf = (k: number): string[] => {
    let list = rewired.get(k);
    if (!list) { list = [...g.nodes[k]!.input]; rewired.set(k, list); }
    return list;
  };

  // 1. Weights.
  const weights: QdqResult['weights'] = [];
  const floatWeights: string[] = [];
  const dqOfWeight = new Map<string, string>();
  g.nodes.forEach((n, k) => {
    if (!WEIGHTED_OPS.has(n.opType)) return;
    const w = n.input[1];
    if (!w) return;
    const init = initByName.get(w);
    if (!init) {
      if (g.producer.has(w) && g.nodes[g.producer.get(w)!]!.opType === 'Constant') floatWeights.push(w);
      return; // an activation operand (MatMul of two activations) is handled as an activation
    }
    // A copy of raw_data: protobuf hands out views into the file's Buffer that need not be 4-byte aligned.
    const t = initializerTensor({ ...init, rawData: new Uint8Array(init.rawData) });
    if (t.dtype !== 'float32' && t.dtype !== 'float16' && t.dtype !== 'float64') return;
    const transB = n.attribute.some((a) => a.name === 'transB' && a.i !== 0n);
    if (t.shape.length < 1 || (n.opType === 'MatMul' && t.shape.length < 2)) return;
    const axis = weightAxis(n.opType, t.shape.length, transB);
    const key = `${w}#${axis}`;
    let dq = dqOfWeight.get(key);
    if (!dq) {
      const pc = quantizeWeightsPerChannel(toFloat32(t), t.shape, axis);
      const qName = fresh(`${w}_quantized`);
      const sName = fresh(`${w}_scale`);
      const zName = fresh(`${w}_zero_point`);
      dq = fresh(`${w}_DequantizeLinear_Output`);
      const dims = t.shape.map(BigInt);
      newInit.push(
        create(TensorProtoSchema, { name: qName, dataType: TensorProto_DataType.INT8, dims, rawData: new Uint8Array(pc.q.buffer as ArrayBuffer, pc.q.byteOffset, pc.q.byteLength) }),
        create(TensorProtoSchema, { name: sName, dataType: TensorProto_DataType.FLOAT, dims: [BigInt(pc.scales.length)], floatData: [...pc.scales] }),
        create(TensorProtoSchema, { name: zName, dataType: TensorProto_DataType.INT8, dims: [BigInt(pc.scales.length)], rawData: new Uint8Array(pc.scales.length) }),
      );
      prologue.push(makeNode('DequantizeLinear', fresh(`${w}_DequantizeLinear`), [qName, sName, zName], [dq], [intAttr('axis', axis)]));
      dqOfWeight.set(key, dq);
      weights.push({ tensor: w, axis, channels: pc.scales.length });
    }
    inputsOf(k)[1] = dq;
  });

  // 2. Activations.
  const quantized = new Map<string, { tensor: string; scale: number; consumers: number; dq: string }>();
  const missing = new Map<string, string>();
  for (const q of int8Inputs(g, opt.placement)) {
    if (initByName.has(q.tensor)) continue; // a weight (already handled) or a constant operand
    let entry = quantized.get(q.tensor);
    if (!entry) {
      if (missing.has(q.tensor)) continue;
      const scale = scales.get(q.tensor);
      const why = scale === undefined ? 'not in the cache' : Number.isNaN(scale) ? 'scale is NaN' : scale < 0 ? 'scale is negative'
        : scale === 0 ? 'scale is 0' : !Number.isFinite(scale) ? 'scale is infinite' : '';
      if (why) { missing.set(q.tensor, why); continue; }
      const sName = fresh(`${q.tensor}_scale`);
      const zName = fresh(`${q.tensor}_zero_point`);
      const qOut = fresh(`${q.tensor}_QuantizeLinear_Output`);
      const dqOut = fresh(`${q.tensor}_DequantizeLinear_Output`);
      newInit.push(
        create(TensorProtoSchema, { name: sName, dataType: TensorProto_DataType.FLOAT, dims: [], floatData: [scale!] }),
        create(TensorProtoSchema, { name: zName, dataType: TensorProto_DataType.INT8, dims: [], rawData: new Uint8Array(1) }),
      );
      const pair = [
        makeNode('QuantizeLinear', fresh(`${q.tensor}_QuantizeLinear`), [q.tensor, sName, zName], [qOut]),
        makeNode('DequantizeLinear', fresh(`${q.tensor}_DequantizeLinear`), [qOut, sName, zName], [dqOut]),
      ];
      const p = g.producer.get(q.tensor);
      if (p === undefined) prologue.push(...pair);
      else after.set(p, [...(after.get(p) ?? []), ...pair]);
      entry = { tensor: q.tensor, scale: scale!, consumers: 0, dq: dqOut };
      quantized.set(q.tensor, entry);
    }
    inputsOf(q.node)[q.input] = entry.dq;
    entry.consumers++;
  }

  const nodes: NodeProto[] = [...prologue];
  g.nodes.forEach((n, k) => {
    const inputs = rewired.get(k);
    nodes.push(inputs ? { ...n, input: inputs } : n);
    nodes.push(...(after.get(k) ?? []));
  });
  const dropped = new Set(graph.initializer.filter((t) => isReplacedWeight(t, dqOfWeight, g, rewired)).map((t) => t.name));
  const out: ModelProto = {
    ...proto,
    graph: {
      ...graph,
      node: nodes,
      // IR < 4 models also list initializers as graph inputs; a dropped weight must leave both lists.
      input: graph.input.filter((v) => !dropped.has(v.name)),
      initializer: [...graph.initializer.filter((t) => !dropped.has(t.name)), ...newInit],
    } as GraphProto,
  };
  return {
    proto: out,
    quantized: [...quantized.values()].map(({ tensor, scale, consumers }) => ({ tensor, scale, consumers })),
    missing: [...missing].map(([tensor, reason]) => ({ tensor, reason })),
    weights, floatWeights, upgrade,
  };
}

/**
 * A float weight whose every reader now reads its dequantized copy can be dropped; one still read
 * as float somewhere (a weight shared with a non-weighted op) is kept.
 */
function isReplacedWeight(t: TensorProto, dqOfWeight: Map<string, string>, g: ReturnType<typeof indexGraph>, rewired: Map<number, string[]>): boolean {
  if (![...dqOfWeight.keys()].some((k) => k.slice(0, k.lastIndexOf('#')) === t.name)) return false;
  const readers = g.consumers.get(t.name) ?? [];
  return readers.every((k) => !(rewired.get(k) ?? g.nodes[k]!.input).includes(t.name));
}


/**
 * Scales for a Q/DQ model from a cache, with the checks a cache for another model must fail:
 * no tensor name in common is an error; some missing is reported by buildQdqModel.
 */
export function checkCacheMatchesModel(cacheNames: Iterable<string>, graph: GraphProto, cacheFile: string): { matched: number; unknown: string[] } {
  const g = indexGraph(graph);
  const tensors = new Set<string>([...g.inputs, ...g.nodes.flatMap((n) => n.output)]);
  let matched = 0;
  const unknown: string[] = [];
  for (const name of cacheNames) {
    if (tensors.has(name)) matched++; else unknown.push(name);
  }
  if (matched + unknown.length === 0) throw new UserError('the cache has a header but no entries', cacheFile);
  if (matched === 0) {
    throw new UserError(`none of the cache's ${unknown.length} tensor names occur in the model: the cache was made for another model`, cacheFile);
  }
  return { matched, unknown };
}
