import { create } from '@bufbuild/protobuf';
import {
  OperatorSetIdProtoSchema, TensorProto_DataType, TensorProtoSchema,
  type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto,
} from 'onnx-buf';
import { UserError, at } from '../errors.js';
import { intAttr, makeNode } from '../graph/node-builder.js';
import { graphOf } from '../graph/onnx-model.js';

/**
 * Per-channel DequantizeLinear (the `axis` attribute) needs opset 13. Models exported at opset 11
 * or 12 are moved to 13 here, converting the operators whose signature changed on the way:
 *   - Split (13): `split` attribute → optional second input
 *   - Squeeze / Unsqueeze (13): `axes` attribute → second input
 *   - ReduceSum (13): `axes` attribute → second input (the other Reduce ops keep the attribute until 18)
 *   - Softmax / LogSoftmax / Hardmax (13): up to 12 they flatten the input to 2-D at `axis` and
 *     normalise over everything after it; from 13 over `axis` alone. The two agree when `axis` is the
 *     last dimension; otherwise the node is rewritten as Flatten(axis) → op(axis=1) → Reshape(Shape(x)),
 *     which is the opset-11 definition spelled in opset-13 operators.
 * Other operators changed between 11 and 13 only in accepted types (or in ways a valid opset-11
 * model cannot use), so they are left alone. Models below opset 11 are refused: too many operators
 * changed (Slice, Pad, Clip, Resize, Upsample) to convert safely here.
 */
const QDQ_MIN_OPSET = 13;
/** ONNX IR version 7 is the first that may declare opset 13. */
const MIN_IR_FOR_OPSET_13 = 7n;

export interface UpgradeResult {
  proto: ModelProto;
  from: number;
  to: number;
  converted: { op: string; node: string; change: string }[];
}

/** @internal */
export function defaultOpset(proto: ModelProto): number {
  const e = proto.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return e ? Number(e.version) : 1;
}

/** Throws the error upgradeToOpset13 would, before any work is done (callers that write files first). */
export function checkUpgradable(proto: ModelProto, file: string): void {
  const from = defaultOpset(proto);
  if (from < 11) {
    throw new UserError(`model is opset ${from}; per-channel Q/DQ needs opset 13 and only opset 11/12 models are converted here (run onnx.version_converter.convert_version(model, 13) first)`, file);
  }
}

/**
 * Return `proto` (unchanged if already ≥ 13) or an upgraded copy. `rank` gives tensor ranks where
 * known (from a calibration run), to keep Softmax nodes whose axis is the last one as they are.
 */
export function upgradeToOpset13(proto: ModelProto, file: string, rank: (tensor: string) => number | undefined = () => undefined): UpgradeResult {
  const from = defaultOpset(proto);
  if (from >= QDQ_MIN_OPSET) return { proto, from, to: from, converted: [] };
  const known = declaredRanks(graphOf(proto));
  const rankOf = (t: string) => rank(t) ?? known.get(t);
  checkUpgradable(proto, file);
  const graph = graphOf(proto);
  const converted: UpgradeResult['converted'] = [];
  const initializers: TensorProto[] = [...graph.initializer];
  const taken = new Set<string>([...graph.initializer.map((t) => t.name), ...graph.node.flatMap((n) => [...n.input, ...n.output])]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const int64Const = (base: string, values: bigint[]): string => {
    const name = fresh(base);
    initializers.push(create(TensorProtoSchema, {
      name, dataType: TensorProto_DataType.INT64, dims: [BigInt(values.length)], int64Data: values,
    }));
    return name;
  };

  const nodes: NodeProto[] = [];
  for (const n of graph.node) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') { nodes.push(n); continue; }
    const label = n.name || `${n.opType}(${n.output[0] ?? ''})`;
    switch (n.opType) {
      case 'Split':
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceSum': {
        const attrName = n.opType === 'Split' ? 'split' : 'axes';
        const attr = n.attribute.find((a) => a.name === attrName);
        if (!attr) { nodes.push(n); break; }
        if (n.opType === 'Unsqueeze' && attr.ints.length === 0) throw new UserError(`${label}: Unsqueeze without axes`, file);
        const input = int64Const(`${n.output[0] || label}_${attrName}`, [...attr.ints]);
        const inputs = [...n.input];
        // ReduceSum's data is the only input before 13; Split/Squeeze/Unsqueeze likewise.
        inputs[1] = input;
        nodes.push({ ...n, input: inputs, attribute: n.attribute.filter((a) => a !== attr) });
        converted.push({ op: n.opType, node: label, change: `${attrName} attribute → input` });
        break;
      }
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax': {
        const axisAttr = n.attribute.find((a) => a.name === 'axis');
        const axis = axisAttr ? Number(axisAttr.i) : 1; // opset ≤ 12 default axis is 1
        const r = rankOf(n.input[0] ?? '');
        const isLast = axis === -1 || (r !== undefined && axis === r - 1);
        if (isLast) { nodes.push(n); break; }
        nodes.push(...coercedSoftmax(n, axis, fresh));
        converted.push({ op: n.opType, node: label, change: `axis ${axis} with 2-D coercion → Flatten/${n.opType}/Reshape` });
        break;
      }
      default:
        nodes.push(n);
    }
  }
  const opsetImport = proto.opsetImport.map((o) =>
    o.domain === '' || o.domain === 'ai.onnx' ? create(OperatorSetIdProtoSchema, { domain: o.domain, version: BigInt(QDQ_MIN_OPSET) }) : o);
  const upgraded: ModelProto = {
    ...proto,
    irVersion: proto.irVersion < MIN_IR_FOR_OPSET_13 ? MIN_IR_FOR_OPSET_13 : proto.irVersion,
    opsetImport,
    graph: { ...graph, node: nodes, initializer: initializers } as GraphProto,
  };
  return { proto: upgraded, from, to: QDQ_MIN_OPSET, converted };
}

/**
 * Ranks knowable without running the model: declared shapes (inputs, outputs, value_info), and
 * outputs of Transpose (length of perm) and of Reshape to a constant shape (its length).
 */
function declaredRanks(graph: GraphProto): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const tt = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    if (tt?.shape) ranks.set(v.name, tt.shape.dim.length);
  }
  const init = new Map(graph.initializer.map((t) => [t.name, t]));
  for (const n of graph.node) {
    const out = n.output[0];
    if (!out) continue;
    if (n.opType === 'Transpose') {
      const perm = n.attribute.find((a) => a.name === 'perm');
      if (perm) ranks.set(out, perm.ints.length);
    } else if (n.opType === 'Reshape') {
      const shape = init.get(n.input[1] ?? '');
      if (shape?.dims.length === 1) ranks.set(out, Number(shape.dims[0]));
    }
  }
  return ranks;
}

/** Opset-11 Softmax semantics in opset-13 operators. */
function coercedSoftmax(n: NodeProto, axis: number, fresh: (base: string) => string): NodeProto[] {
  const x = at(n.input, 0);
  const y = at(n.output, 0);
  const base = n.name || y;
  const flat = fresh(`${base}_flatten_output`);
  const soft = fresh(`${base}_2d_output`);
  const shape = fresh(`${base}_input_shape`);
  const mk = (opType: string, name: string, input: string[], output: string[], attribute: AttributeProto[] = []): NodeProto =>
    makeNode(opType, fresh(name), input, output, attribute);
  return [
    mk('Flatten', `${base}/Flatten`, [x], [flat], [intAttr('axis', axis)]),
    mk(n.opType, `${base}/2d`, [flat], [soft], [intAttr('axis', 1)]),
    mk('Shape', `${base}/Shape`, [x], [shape]),
    mk('Reshape', `${base}/Reshape`, [soft, shape], [y]),
  ];
}
