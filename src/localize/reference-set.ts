import type { ModelProto } from 'onnx-buf';
import type { OnnxModel } from '../graph/onnx-model.js';
import { OrtRunner } from '../runners/ort-runner.js';
import type { RunnerDescription } from '../runners/runner.js';
import { samplesFrom, type InputOptions, type Sample } from '../inputs/input-source.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError, at, mustGet } from '../errors.js';
import { OutputMeter, type MetricSpec } from './targets.js';
import { Map50Meter } from './map-drop.js';

export interface ReferenceSample {
  sample: Sample;
  /** FP32 value of the evaluated output. */
  ref: Tensor;
}

export interface ReferenceOptions {
  inputOptions?: InputOptions;
  /** Output to evaluate; default the FP32 model's first output. */
  output?: string;
  /**
   * Decoded inputs and FP32 outputs are kept for re-use across evaluations up to this many bytes
   * (default 512 MB); past it, samples are decoded and the FP32 model run again each time.
   */
  cacheBytes?: number;
  threads?: number;
}

/**
 * The images every variant is judged on, with the FP32 model's output for each. Bisect and
 * sensitivity evaluate tens of variants on the same images: the FP32 side is computed once.
 */
export class ReferenceSet {
  private readonly cache: ReferenceSample[] = [];
  private complete = false;
  private cachedBytes = 0;
  count = 0;

  private constructor(
    private readonly fp32: OrtRunner,
    private readonly specs: readonly string[],
    readonly output: string,
    private readonly opt: ReferenceOptions,
  ) {}

  static async open(fp32: OnnxModel, specs: readonly string[], opt: ReferenceOptions = {}): Promise<ReferenceSet> {
    const runner = await OrtRunner.open(fp32, { threads: opt.threads });
    const outputs = runner.describe().outputs.map((o) => o.name);
    const output = opt.output ?? at(outputs, 0);
    if (!outputs.includes(output)) {
      await runner.close();
      throw new UserError(`model has no output named "${output}" (outputs: ${outputs.join(', ')})`, fp32.path);
    }
    return new ReferenceSet(runner, specs, output, opt);
  }

  describe(): RunnerDescription {
    return this.fp32.describe();
  }

  async *samples(): AsyncIterable<ReferenceSample> {
    if (this.complete) { yield* this.cache; return; }
    const budget = this.opt.cacheBytes ?? 512 * 1024 * 1024;
    let i = 0;
    for await (const sample of samplesFrom(this.specs, this.fp32.describe().inputs, this.opt.inputOptions)) {
      let entry = this.cache[i];
      if (!entry || entry.sample.id !== sample.id) {
        entry = { sample, ref: await this.fp32Output(sample) };
        const bytes = entry.ref.data.byteLength + Object.values(sample.feeds).reduce((a, t) => a + t.data.byteLength, 0);
        if (i === this.cache.length && this.cachedBytes + bytes <= budget) { this.cache.push(entry); this.cachedBytes += bytes; }
      }
      i++;
      yield entry;
    }
    this.count = i;
    if (i === this.cache.length) this.complete = true;
    if (i === 0) throw new UserError('no input samples');
  }

  private async fp32Output(s: Sample): Promise<Tensor> {
    for await (const t of this.fp32.run(s.feeds, { fetch: [this.output] })) return t;
    throw new Error(`FP32 model returned no ${this.output}`);
  }

  async close(): Promise<void> {
    await this.fp32.close();
  }
}

export interface Evaluation {
  value: number;
  perSample: { sample: string; value: number }[];
  ms: number;
}

export interface EvaluateOptions {
  channels?: [number, number | undefined];
  threads?: number;
  perSample?: boolean;
  /** YOLO label folder: needed by map50_drop. */
  labels?: string;
}

/** mAP50 of the FP32 model on a reference set, computed once per set. */
const fp32Map50 = new WeakMap<ReferenceSet, number>();

/**
 * Run one model variant on every reference sample (only the evaluated output is fetched) and pool
 * the metric. One ORT session per variant, reused across images.
 */
export async function evaluateVariant(proto: ModelProto, source: string, refs: ReferenceSet, spec: MetricSpec, opt: EvaluateOptions = {}): Promise<Evaluation> {
  const t0 = performance.now();
  const channels = opt.channels ?? [4, undefined];
  const isMap = spec.metric === 'map50_drop';
  if (isMap && !opt.labels) throw new UserError('map50_drop needs labelled images: pass --labels DIR (YOLO .txt files named like the images)');
  const runner = await OrtRunner.open({ path: source, proto }, { threads: opt.threads });
  const pooled = isMap ? undefined : new OutputMeter(spec, channels);
  const map = isMap ? new Map50Meter(refs.output, channels, opt.labels!) : undefined;
  const refMap = isMap && !fp32Map50.has(refs) ? new Map50Meter(refs.output, channels, opt.labels!) : undefined;
  const perSample: Evaluation['perSample'] = [];
  try {
    for await (const { sample, ref } of refs.samples()) {
      for await (const out of runner.run(sample.feeds, { fetch: [refs.output] })) {
        if (map) { map.add(sample, out); refMap?.add(sample, ref); continue; }
        pooled!.add(ref, out);
        if (opt.perSample) {
          const one = new OutputMeter(spec, channels);
          one.add(ref, out);
          perSample.push({ sample: sample.id, value: one.value() });
        }
      }
    }
  } finally {
    await runner.close();
  }
  if (refMap) fp32Map50.set(refs, refMap.map50());
  const value = map ? mustGet(fp32Map50, refs) - map.map50() : pooled!.value();
  return { value, perSample, ms: performance.now() - t0 };
}
