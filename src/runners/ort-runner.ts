import './ort-env.js';
import * as ort from 'onnxruntime-node';
import type { OnnxModel } from '../graph/onnx-model.js';
import { markedModelBytes } from '../graph/mark-outputs.js';
import { indexGraph } from '../graph/graph-index.js';
import { UserError, errorMessage } from '../errors.js';
import { type DType, isDType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { RunnerDescription, TensorInfo } from './runner.js';
import { BaseRunner } from './base-runner.js';
import { graphOf } from '../graph/onnx-model.js';

export interface OrtRunnerOptions {
  /** Tensors to expose in addition to the model's own outputs (they become graph outputs). */
  mark?: readonly string[];
  /** Intra-op threads; default: ONNX Runtime's (one per core). */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * ONNX Runtime's CPU memory arena and memory-pattern planning. Default: on for a model as deployed,
   * off for an instrumented one (`mark` non-empty); see INSTRUMENTED_MEMORY below.
   */
  memArena?: boolean;
  memPattern?: boolean;
}

/**
 * Why an instrumented session runs without the arena and memory patterns. With nearly every
 * activation a graph output, almost all of a run's memory is output buffers that onnxruntime-node
 * copies into JavaScript and frees when the run returns. With the arena on, each session keeps its
 * own peak reserved (the FP32 and the INT8 session each hold a full set of activations) and grows it
 * chunk by chunk over the first runs; memory patterns make every run allocate one block the size of
 * the whole plan. With both off, output buffers come from and go back to the process heap, where
 * the next run (of either session) reuses them. Fresh pages are what a run pays for most on VMs
 * (first touch 3.5–5 s/GiB on the development machine, bench/first-touch.ts), so this cut the runs of an 8-image YOLOv8n
 * comparison from 7.5 s to 5.1 s and its peak RSS by a third (bench/README.md §1).
 */
const INSTRUMENTED_MEMORY = { memArena: false, memPattern: false } as const;

/** ONNX Runtime (CPU) runner. INT8 Q/DQ models run on ORT's real integer kernels where it fuses them. */
export class OrtRunner extends BaseRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly description: RunnerDescription,
  ) {
    super();
  }

  static async open(model: OnnxModel, options: OrtRunnerOptions = {}): Promise<OrtRunner> {
    const graph = graphOf(model.proto);
    const g = indexGraph(graph);
    const mark = options.mark ?? [];
    const memArena = options.memArena ?? (mark.length > 0 ? INSTRUMENTED_MEMORY.memArena : true);
    const memPattern = options.memPattern ?? (mark.length > 0 ? INSTRUMENTED_MEMORY.memPattern : true);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(markedModelBytes(model, mark), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
        enableCpuMemArena: memArena,
        enableMemPattern: memPattern,
        logSeverityLevel: 3,
      });
    } catch (e) {
      throw new UserError(`ONNX Runtime cannot load the model: ${firstLine(errorMessage(e))}`, model.path);
    }
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] =>
      list.map((m) => ({
        name: m.name,
        dtype: m.isTensor && isDType(m.type) ? (m.type as DType) : 'unknown',
        shape: m.isTensor ? [...m.shape].map((d) => (typeof d === 'number' ? d : String(d))) : [],
      }));
    const outputs = meta(session.outputMetadata);
    const original = new Set(g.outputs);
    const description: RunnerDescription = {
      backend: 'onnxruntime-cpu',
      source: model.path,
      inputs: meta(session.inputMetadata),
      outputs: outputs.filter((o) => original.has(o.name)),
      tensors: sortByOrder(outputs, g.order),
      // onnxruntime-node copies each output into a new ArrayBuffer of its own.
      yieldsOwnBuffers: true,
    };
    return new OrtRunner(session, description);
  }

  describe(): RunnerDescription {
    return this.description;
  }

  protected async *infer(feeds: Readonly<Record<string, Tensor>>, fetchNames: readonly string[] | undefined): AsyncIterable<Tensor> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.shape);
    }
    const fetch = fetchNames ?? this.description.tensors.map((t) => t.name);
    let results: Record<string, ort.Tensor>;
    try {
      results = await this.session.run(ortFeeds, [...fetch]);
    } catch (e) {
      throw new UserError(`ONNX Runtime failed to run the model: ${firstLine(errorMessage(e))}`, this.description.source);
    }
    for (const name of fetch) {
      const v = results[name];
      if (!v) continue;
      delete results[name]; // let each tensor be collected once the consumer is done with it
      yield { name, dtype: v.type as DType, shape: v.dims.map(Number), data: v.data as Tensor['data'] };
      v.dispose();
    }
  }

  protected async release(): Promise<void> {
    await this.session.release();
  }
}

function sortByOrder(infos: TensorInfo[], order: Map<string, number>): TensorInfo[] {
  return [...infos].sort((a, b) => (order.get(a.name) ?? Infinity) - (order.get(b.name) ?? Infinity));
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim().length > 0)?.trim() ?? s;
}
