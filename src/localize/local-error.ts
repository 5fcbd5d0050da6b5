import type { OnnxModel } from '../graph/onnx-model.js';
import { OrtRunner } from '../runners/ort-runner.js';
import type { TensorPair } from '../compare/pairing.js';
import { planGroups } from '../compare/fetch-groups.js';
import { finalize, type TensorMetrics } from '../compare/metrics.js';
import { PairFold } from '../compare/pair-fold.js';
import { isFloatDType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Sample } from '../inputs/input-source.js';
import { cutModel, type CutModel } from './graph-cut.js';
import { mustGet } from '../errors.js';

/** Gives the FP32 values of the named logical tensors for the current sample. */
export type Fp32Provider = (logical: readonly string[]) => Promise<Map<string, Tensor>>;

export interface LocalErrorOptions {
  /** Activation budget per run in bytes: records are then measured in groups, one cut model each. */
  maxBytesPerRun?: number;
  /** Bytes of each logical tensor, when known (sizes the groups). */
  sizes?: ReadonlyMap<string, number>;
  threads?: number;
}

interface Group { cut: CutModel; runner: OrtRunner; need: string[] }

/**
 * Local error of every paired tensor: the INT8 model cut at every paired activation (graph-cut.ts)
 * is run on the FP32 activations of the same sample, and each cut output is compared with the FP32
 * value of its tensor. Streaming: per sample and group only that group's FP32 inputs and outputs are
 * alive; metrics are pooled over samples in FP64 accumulators.
 */
export class LocalErrorEngine {
  private readonly fold = new PairFold();
  private constructor(private readonly groups: Group[]) {}

  static async open(int8: OnnxModel, pairs: readonly TensorPair[], opt: LocalErrorOptions = {}): Promise<LocalErrorEngine> {
    const names = pairs.map((p) => p.name);
    const groups: Group[] = [];
    try {
      for (const names_ of planGroups(names, opt.sizes ?? new Map(), opt.maxBytesPerRun ? opt.maxBytesPerRun / 2 : undefined)) {
        const cut = cutModel(int8.proto, pairs, new Set(names_));
        if (cut.fetch.size === 0) continue;
        const runner = await OrtRunner.open({ path: int8.path, proto: cut.proto }, { threads: opt.threads });
        const need = [...new Set([...cut.feeds.values(), ...cut.fetch.values()])];
        groups.push({ cut, runner, need });
      }
    } catch (e) {
      for (const g of groups) await g.runner.close();
      throw e;
    }
    return new LocalErrorEngine(groups);
  }

  /** One sample: every group run on the FP32 values the provider gives; returns this sample's metrics. */
  async accumulate(sample: Sample, fp32: Fp32Provider): Promise<Map<string, TensorMetrics>> {
    const perSample = new Map<string, TensorMetrics>();
    for (const g of this.groups) {
      const values = await fp32(g.need.filter((n) => !(n in sample.feeds)));
      const feeds: Record<string, Tensor> = {};
      for (const [input, logical] of g.cut.feeds) {
        const t = sample.feeds[logical] ?? values.get(logical);
        if (!t) throw new Error(`local error: no FP32 value for ${logical} (cut input ${input})`);
        feeds[input] = { ...t, name: input };
      }
      for await (const local of g.runner.run(feeds, { fetch: [...g.cut.fetch.keys()] })) {
        const logical = mustGet(g.cut.fetch, local.name);
        const ref = values.get(logical) ?? sample.feeds[logical];
        const m = ref && this.fold.add(logical, sample.id, ref, local);
        if (m) perSample.set(logical, m);
      }
    }
    return perSample;
  }

  /** Pooled local metrics over every sample so far. */
  results(): Map<string, TensorMetrics> {
    return new Map([...this.fold.acc].map(([k, a]) => [k, finalize(a)]));
  }

  async close(): Promise<void> {
    for (const g of this.groups) await g.runner.close();
  }
}

/** An FP32 provider that runs the FP32 model (all paired tensors exposed) once per request. */
export async function fp32RunnerProvider(fp32: OnnxModel, pairs: readonly TensorPair[], threads?: number): Promise<{ provider: (s: Sample) => Fp32Provider; close: () => Promise<void> }> {
  const actualOf = new Map(pairs.map((p) => [p.name, p.ref.actual]));
  const runner = await OrtRunner.open(fp32, { mark: [...new Set(actualOf.values())], threads });
  return {
    provider: (s) => async (logical) => {
      const want = logical.filter((n) => actualOf.has(n) && !(n in s.feeds));
      const byActual = new Map(want.map((n) => [mustGet(actualOf, n), n]));
      const out = new Map<string, Tensor>();
      for await (const t of runner.run(s.feeds, { fetch: [...byActual.keys()] })) out.set(mustGet(byActual, t.name), t);
      return out;
    },
    close: () => runner.close(),
  };
}

/** Pairs worth cutting at: both sides floating point where the graphs declare a type. */
export function floatPairs(pairs: readonly TensorPair[], refTypes: ReadonlyMap<string, string>): TensorPair[] {
  return pairs.filter((p) => {
    const d = refTypes.get(p.ref.actual);
    return !d || isFloatDType(d);
  });
}
