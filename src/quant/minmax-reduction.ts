import type { ModelProto } from 'onnx-buf';
import { intAttr, makeNode } from '../graph/node-builder.js';
import type { OnnxModel } from '../graph/onnx-model.js';
import { OrtRunner } from '../runners/ort-runner.js';
import type { TensorInfo } from '../runners/runner.js';
import type { Tensor } from '../tensor/tensor.js';
import { mustGet } from '../errors.js';
import { graphOf } from '../graph/onnx-model.js';

/** One activation's min and max over one sample, computed inside the runtime. */
export interface ReducedMinMax {
  name: string;
  shape: number[];
  min: number;
  max: number;
  /** False when the tensor holds NaN or ±Inf: min/max are then not the finite extremes. */
  finite: boolean;
}

/** dtypes ONNX Runtime's CPU ReduceMin/ReduceMax handle among the float activations. */
const REDUCIBLE = new Set(['float32', 'float64']);

/**
 * Min/max of every activation computed inside ONNX Runtime, for passes that need nothing else
 * (MinMax calibration, the first batch of every calibrator). Copying every activation out of the
 * runtime to fold it in JavaScript costs more than the model run itself (bench/README.md §6); here
 * each activation `t` gets ReduceMin(t), ReduceMax(t), Shape(t) and a finiteness probe
 * ReduceSum(t), so one run returns four scalars or short vectors per activation. The sum is NaN or
 * ±Inf whenever `t` holds a NaN or an Inf (it may also overflow on huge finite values, which only
 * costs the fallback below). Callers fold a sample's reductions only when every min, max and probe
 * is finite, and fold that sample's full tensors otherwise (activation-collector.ts), so
 * non-finite elements are skipped and counted exactly as before.
 */
export class MinMaxReducer {
  private constructor(
    private readonly runner: OrtRunner,
    private readonly outputs: ReductionOutputs[],
    private readonly fetch: string[],
  ) {}

  /**
   * A reducer over `tensors` (as an instrumented runner described them), or undefined when one of
   * them is a float type ReduceMin/ReduceMax cannot take on the CPU (float16, bfloat16) or of
   * unknown type, or when ONNX Runtime will not load the augmented model: the caller then folds
   * full tensors, which is slower but always possible.
   */
  static async open(model: OnnxModel, tensors: readonly TensorInfo[], threads?: number): Promise<MinMaxReducer | undefined> {
    if (tensors.some((t) => !REDUCIBLE.has(t.dtype))) return undefined;
    const { proto, outputs } = withReductions(model.proto, tensors.map((t) => t.name));
    const fetch = outputs.flatMap((o) => [o.min, o.max, o.shape, o.probe]);
    try {
      // Its outputs are a few bytes per activation, so this session keeps ONNX Runtime's arena and
      // memory patterns (the instrumented default turns them off: ort-runner.ts).
      const runner = await OrtRunner.open({ path: model.path, proto }, { mark: fetch, threads, memArena: true, memPattern: true });
      return new MinMaxReducer(runner, outputs, fetch);
    } catch {
      return undefined;
    }
  }

  async reduce(feeds: Readonly<Record<string, Tensor>>): Promise<ReducedMinMax[]> {
    const got = new Map<string, Tensor>();
    for await (const t of this.runner.run(feeds, { fetch: this.fetch })) got.set(t.name, t);
    return this.outputs.map((o) => ({
      name: o.name,
      shape: [...(mustGet(got, o.shape).data as BigInt64Array)].map(Number),
      min: Number(mustGet(got, o.min).data[0]),
      max: Number(mustGet(got, o.max).data[0]),
      finite: [o.min, o.max, o.probe].every((k) => Number.isFinite(Number(mustGet(got, k).data[0]))),
    }));
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}

/** The tensors appended for one activation. */
interface ReductionOutputs { name: string; min: string; max: string; shape: string; probe: string }

/**
 * The model with ReduceMin/ReduceMax/Shape/probe nodes appended for each name (no axes: every
 * opset reduces over all axes then; keepdims=0 gives scalars). The original graph is untouched.
 */
function withReductions(proto: ModelProto, names: readonly string[]): { proto: ModelProto; outputs: ReductionOutputs[] } {
  const graph = graphOf(proto);
  const taken = new Set<string>([...graph.input, ...graph.output, ...graph.valueInfo].map((v) => v.name));
  for (const n of graph.node) for (const o of [...n.input, ...n.output]) taken.add(o);
  for (const t of graph.initializer) taken.add(t.name);
  const fresh = (base: string): string => {
    let s = base;
    for (let k = 1; taken.has(s); k++) s = `${base}_${k}`;
    taken.add(s);
    return s;
  };
  const nodes = [];
  const outputs = [];
  for (const name of names) {
    const o = { name, min: fresh(`${name}__trtdiff_min`), max: fresh(`${name}__trtdiff_max`), shape: fresh(`${name}__trtdiff_shape`), probe: fresh(`${name}__trtdiff_sum`) };
    nodes.push(
      makeNode('ReduceMin', o.min, [name], [o.min], [intAttr('keepdims', 0)]),
      makeNode('ReduceMax', o.max, [name], [o.max], [intAttr('keepdims', 0)]),
      makeNode('Shape', o.shape, [name], [o.shape]),
      makeNode('ReduceSum', o.probe, [name], [o.probe], [intAttr('keepdims', 0)]),
    );
    outputs.push(o);
  }
  return { proto: { ...proto, graph: { ...graph, node: [...graph.node, ...nodes] } }, outputs };
}
