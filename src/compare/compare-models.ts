import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { fileSha256, type OnnxModel } from '../graph/onnx-model.js';
import { ortBackend, type OpenRunner } from '../runners/open-runner.js';
import type { Runner } from '../runners/runner.js';
import { isFloatDType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ArrowDumpWriter } from '../dump/arrow-dump-writer.js';
import { dumpFileNames } from '../dump/dump-files.js';
import { samplesFrom, type InputOptions, type Sample } from '../inputs/input-source.js';
import { UserError, mustGet, at } from '../errors.js';
import { compareTensors, type MetricAccumulator, type TensorMetrics } from './metrics.js';
import { PairFold } from './pair-fold.js';
import { pairModels, type Pairing, type TensorPair } from './pairing.js';
import { planGroups } from './fetch-groups.js';
import { SampleMemory } from './sample-memory.js';
import { GroupRunners, staticSizes } from './group-runners.js';
import { MIN_GROUP_BYTES, planMemory, weightBytes } from './memory-budget.js';
import { CoverageTracker, declaredName, type Coverage } from './coverage.js';
import { dequantizeTensor } from '../graph/qoperator.js';

export interface ModelInfo {
  path: string;
  sha256: string;
  backend: string;
}

/** Per-tensor result: pooled metrics over all samples plus the worst sample. */
export interface TensorRecord {
  name: string;
  int8Name: string;
  opType: string;
  node: string;
  order: number;
  shape: number[];
  dtype: string;
  /**
   * 'dequantized': the INT8 side is a DequantizeLinear output (what the next INT8 layer reads);
   * 'quantized': a QOperator op's integer output, compared as (q − zero point) · scale.
   */
  int8Kind: 'float' | 'dequantized' | 'quantized';
  /** The INT8 op that made the value when it is not the FP32 op (QLinearConv, Conv+Relu, ...). */
  int8Op?: string;
  scale?: number;
  inputs: string[];
  metrics: TensorMetrics;
  worst: { sample: string; sqnrDb: number } | null;
  /** Filled by analyses (detect head labels, local error...). */
  branch?: string;
  local?: { sqnrDb: number; cosine: number; amplificationDb: number };
}

export interface CandidateResult {
  model: ModelInfo;
  records: TensorRecord[];
  skipped: { name: string; reason: string }[];
  unmatched: { fp32: string[]; int8: string[] };
  /** Final outputs of the INT8 model with and without every tensor marked as output (first sample). */
  perturbation: { output: string; maxAbs: number; sqnrDb: number }[];
  /** The FP64 sums behind each record's metrics, by tensor name: what partial runs merge (partial.ts). */
  accumulators?: Map<string, MetricAccumulator>;
  /** Pairs asked of the runners, and each one that never arrived (coverage.ts); absent where nothing was asked of a runner. */
  coverage?: Coverage;
}

export interface ComparisonResult {
  fp32: ModelInfo;
  candidates: CandidateResult[];
  samples: string[];
  /** Position of each sample in the whole input stream (differs from 0,1,2… under --shard). */
  sampleIndex?: number[];
  timing: { totalMs: number; runMs: number; compareMs: number; dumpMs: number; modelRuns: number };
}

/** Sees each sample's final outputs (detection decoding, mAP) without holding every activation. */
export interface SampleObserver {
  observeSample(sample: Sample, fp32Outputs: Map<string, Tensor>, int8Outputs: Map<string, Tensor>[]): void | Promise<void>;
}

/**
 * Sees each compared tensor pair (histograms for reports). The pipeline frees activations as soon
 * as it is done with them (sample-memory.ts): an observer that keeps `ref` or `test` past the call
 * returns 'retain', and both then stay valid until the sample's SampleObservers have run.
 */
export interface TensorObserver {
  observeTensor(pair: TensorPair, candidate: number, sample: Sample, ref: Tensor, test: Tensor): void | 'retain';
}

export interface CompareOptions {
  inputs: readonly string[];
  inputOptions?: InputOptions;
  /** Write <dumpDir>/fp32.arrow and int8.arrow (int8-<k>.arrow with several candidates). */
  dumpDir?: string;
  /** Activation memory budget per model run, in bytes; tensors are then fetched in groups. */
  maxBytesPerRun?: number;
  threads?: number;
  /** Skip the instrumentation-perturbation check. */
  noPerturbationCheck?: boolean;
  observers?: (SampleObserver | TensorObserver)[];
  onProgress?: (done: number, sample: string) => void;
  /** One-line warnings (a --max-memory budget under what the models need at least). */
  warn?: (line: string) => void;
  /**
   * The backend: opens a runner for a model with the given tensors exposed (none: the model as
   * deployed, for the perturbation check). Default: ONNX Runtime on the CPU.
   */
  openRunner?: OpenRunner;
  /** Compare only samples i with i mod count = index (0-based): one shard of the inputs (--shard). */
  shard?: { index: number; count: number };
}


/** SHA-256 of the model file: from the bytes loadModel kept, else read again from disk. */
export function modelSha256(model: OnnxModel): string {
  return model.bytes ? crypto.createHash('sha256').update(model.bytes).digest('hex') : fileSha256(model.path);
}


interface CandidateState {
  model: OnnxModel;
  pairing: Pairing;
  byName: Map<string, TensorPair>;
  runner: Runner;
  /** With a memory budget: one session per fetch group (see group-runners.ts). */
  groups?: GroupRunners;
  plain?: Runner;
  /** Pooled sums, worst sample and skipped pairs of every tensor (pair-fold.ts). */
  fold: PairFold;
  meta: Map<string, { shape: number[]; dtype: string }>;
  perturbation: CandidateResult['perturbation'];
  dump?: ArrowDumpWriter;
  /** Logical name → the name fetched from the INT8 runner (one it declares). */
  fetchName: Map<string, string>;
  coverage: CoverageTracker;
}

/**
 * The main job: run the FP32 model and each INT8 candidate on identical inputs with every paired
 * tensor exposed, and fold each tensor pair into streaming metrics. Per sample and per fetch group,
 * only that group's tensors of one FP32 run and one INT8 run are alive at a time.
 */
export async function compareModels(fp32: OnnxModel, int8: readonly OnnxModel[], opt: CompareOptions): Promise<ComparisonResult> {
  const t0 = performance.now();
  const timing = { totalMs: 0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 };
  const cands: CandidateState[] = int8.map((m) => {
    const pairing = pairModels(fp32, m);
    return {
      model: m, pairing, byName: new Map(pairing.pairs.map((p) => [p.name, p])), runner: undefined as unknown as Runner,
      fold: new PairFold(), meta: new Map(), perturbation: [],
      fetchName: new Map(), coverage: new CoverageTracker(pairing.pairs.length),
    };
  });
  const refNames = unionInOrder(cands.map((c) => c.pairing.pairs));
  if (refNames.length === 0) {
    throw new UserError('the two models have no tensor in common (no names match, even through Q/DQ)', int8[0]?.path);
  }
  const refActual = new Map<string, string>();
  for (const c of cands) for (const p of c.pairing.pairs) refActual.set(p.name, p.ref.actual);

  const open = opt.openRunner ?? ortBackend(opt.threads);
  if (opt.openRunner && opt.maxBytesPerRun) throw new UserError('--max-memory groups are an ONNX Runtime feature; drop it or use the default backend');
  const budget = opt.maxBytesPerRun;
  // From ONNX Runtime, the integer tensor of an activation Q/DQ pair is fetched rather than the
  // dequantized float: a quarter of the bytes to copy out, and no float copy for ORT to make. It is
  // compared as (q − zero point) · scale, bit for bit the DequantizeLinear output (test/compare).
  const integersFromOrt = !opt.openRunner;
  const fetchOf = (p: TensorPair) => (integersFromOrt && p.test.quantized && p.test.scale?.length === 1 && (p.test.zeroPoint?.length ?? 1) === 1 ? p.test.quantized : p.test.actual);
  const markAll = (c: CandidateState) => c.pairing.pairs.map(fetchOf);
  let fp32Runner: Runner;
  if (!budget) {
    // Sessions are created concurrently: model optimisation is most of the start-up time.
    const [ref, runners, plains] = await Promise.all([
      open(fp32, [...refActual.values()], 'fp32'),
      Promise.all(cands.map((c) => open(c.model, markAll(c), 'int8'))),
      // Only the shard holding the first sample (shard 1) runs the perturbation check.
      Promise.all(cands.map((c) => (opt.noPerturbationCheck || (opt.shard?.index ?? 0) !== 0 ? Promise.resolve(undefined) : open(c.model, [], 'int8')))),
    ]);
    fp32Runner = ref;
    cands.forEach((c, k) => { c.runner = at(runners, k); c.plain = plains[k]; });
  } else {
    // With a budget, one session at a time, closed once described: the fetch groups get their own.
    fp32Runner = await open(fp32, [...refActual.values()], 'fp32');
    await fp32Runner.close();
    for (const c of cands) { c.runner = await open(c.model, markAll(c), 'int8'); await c.runner.close(); }
  }
  const refInputs = fp32Runner.describe().inputs;
  for (const c of cands) checkSameInputs(fp32.path, refInputs, c.model.path, c.runner.describe().inputs);
  cands.forEach((c) => {
    const declared = new Set(c.runner.describe().tensors.map((t) => t.name));
    const fused = fusedNames(c.runner);
    const undeclared: string[] = [];
    for (const p of c.pairing.pairs) {
      const name = declaredName(declared, fetchOf(p), p.test.actual, p.test.preQuant, p.name);
      if (name) c.fetchName.set(p.name, name);
      else if (declaredName(fused, p.test.actual, p.test.preQuant, p.name)) c.fold.skipped.set(p.name, FUSED_INT8);
      else undeclared.push(p.name);
    }
    c.coverage.undeclared('int8', undeclared);
  });
  const refDeclared = new Set(fp32Runner.describe().tensors.map((t) => t.name));
  const refFused = fusedNames(fp32Runner);
  const refUndeclared = new Set(refNames.filter((n) => !refDeclared.has(mustGet(refActual, n))));
  for (const c of cands) {
    const gone = c.pairing.pairs.filter((p) => refUndeclared.has(p.name));
    for (const p of gone) if (refFused.has(p.ref.actual) && !c.fold.skipped.has(p.name)) c.fold.skipped.set(p.name, FUSED_FP32);
    c.coverage.undeclared('fp32', gone.filter((p) => !refFused.has(p.ref.actual)).map((p) => p.name));
  }
  const memory = budget ? memoryPlan(budget, fp32, fp32Runner, cands, opt.warn) : undefined;
  const refGroups = memory ? new GroupRunners(fp32, opt.threads, memory.plan.maxSessions) : undefined;
  for (const c of cands) if (memory) c.groups = new GroupRunners(c.model, opt.threads, memory.plan.maxSessions);
  const fp32Outputs = fp32Runner.describe().outputs.map((o) => o.name);
  const dumps = await openDumps(fp32, cands, opt.dumpDir, fp32Runner.describe().backend);
  const sampleObservers = (opt.observers ?? []).filter((o): o is SampleObserver => 'observeSample' in o);
  const tensorObservers = (opt.observers ?? []).filter((o): o is TensorObserver => 'observeTensor' in o);

  const samples: string[] = [];
  const sampleIndex: number[] = [];
  let streamIndex = -1;
  // Sizes the runtime knows statically plan the groups from the first sample on; others are learned.
  const known = staticSizes(fp32Runner.describe().tensors);
  const sizes = new Map<string, number>();
  for (const n of refNames) { const b = known.get(mustGet(refActual, n)); if (b !== undefined) sizes.set(n, b); }
  const sampleMemory = new SampleMemory();
  try {
    for await (const sample of samplesFrom(opt.inputs, refInputs, opt.inputOptions)) {
      streamIndex++;
      if (opt.shard && streamIndex % opt.shard.count !== opt.shard.index) continue;
      memory?.checkLearned(sizes);
      const groups = planGroups(refNames, sizes, memory?.plan.groupBytes);
      const finalRef = new Map<string, Tensor>();
      const finalTest = cands.map(() => new Map<string, Tensor>());
      // First sample: the INT8 models as deployed run before the instrumented ones, and their
      // sessions close before those open (only their final outputs are kept).
      const plainOutputs = streamIndex === 0 && !opt.noPerturbationCheck ? await runPlain(cands, sample, timing, budget ? open : undefined) : undefined;
      dumps.ref?.writeInputs(sample);
      for (const group of groups) {
        // 1. FP32 side of this group, kept until every candidate has been compared against it.
        const refTensors = new Map<string, Tensor>();
        let t = performance.now();
        const wantRef = [...new Set(group.filter((n) => !refUndeclared.has(n)).map((n) => mustGet(refActual, n)))];
        const logicalOfRef = new Map(group.map((n) => [mustGet(refActual, n), n]));
        const refRunner = refGroups ? await refGroups.get(wantRef) : fp32Runner;
        const refOwned = refRunner.describe().yieldsOwnBuffers === true;
        for await (const tensor of refRunner.run(sample.feeds, { fetch: wantRef })) {
          if (refOwned && !(tensor.name in sample.feeds)) sampleMemory.adopt(tensor);
          const logical = mustGet(logicalOfRef, tensor.name);
          refTensors.set(logical, tensor);
          sizes.set(logical, tensor.data.byteLength);
          if (fp32Outputs.includes(logical)) finalRef.set(logical, tensor);
        }
        timing.runMs += performance.now() - t; timing.modelRuns++;
        const refGot = new Set(refTensors.keys());
        for (const c of cands) c.coverage.record('fp32', sample.id, group.filter((n) => c.byName.has(n) && !refUndeclared.has(n)), refGot);
        if (dumps.ref) {
          t = performance.now();
          for (const [, tensor] of refTensors) if (!(tensor.name in sample.feeds)) dumps.ref.writer.write(tensor, sample.id);
          timing.dumpMs += performance.now() - t;
        }
        // 2. Each candidate, streamed tensor by tensor against the held FP32 group.
        for (const [k, c] of cands.entries()) {
          const wanted = group.filter((n) => c.fetchName.has(n) && !c.fold.skipped.has(n));
          const logicalOf = new Map(wanted.map((n) => [mustGet(c.fetchName, n), n]));
          const got = new Set<string>();
          t = performance.now();
          const fetch = [...logicalOf.keys()];
          const runner = c.groups ? await c.groups.get(fetch) : c.runner;
          const owned = runner.describe().yieldsOwnBuffers === true;
          for await (const raw of runner.run(sample.feeds, { fetch })) {
            timing.runMs += performance.now() - t;
            if (owned && !(raw.name in sample.feeds)) sampleMemory.adopt(raw);
            const name = logicalOf.get(raw.name);
            if (name === undefined) { sampleMemory.done(raw); continue; } // not asked for (a runner may return more)
            got.add(name);
            const output = fp32Outputs.includes(name);
            const pair = mustGet(c.byName, name);
            // An integer tensor with one scale is compared as is (foldPair); its float copy is made
            // only for whoever reads the values.
            const direct = dequantOf(pair, raw) !== undefined;
            const tensor = !direct || output || c.dump || tensorObservers.length > 0 ? asCompared(pair, raw) : raw;
            if (tensor !== raw) { sampleMemory.adopt(tensor); sampleMemory.done(raw); }
            const ref = refTensors.get(name);
            if (!ref) { sampleMemory.done(tensor); continue; } // counted on the FP32 side

            const tc = performance.now();
            if (foldPair(c, pair, ref, tensor, sample, k, tensorObservers)) { sampleMemory.hold(ref); sampleMemory.hold(tensor); }
            if (output) at(finalTest, k).set(name, tensor);
            timing.compareMs += performance.now() - tc;
            if (c.dump) { const td = performance.now(); c.dump.write(tensor, sample.id, name); timing.dumpMs += performance.now() - td; }
            if (!output) sampleMemory.done(tensor);
            t = performance.now();
          }
          c.coverage.record('int8', sample.id, wanted, got);
          timing.modelRuns++;
        }
        for (const [name, tensor] of refTensors) if (!finalRef.has(name)) sampleMemory.done(tensor);
      }
      if (plainOutputs) for (const [k, plain] of plainOutputs.entries()) perturbation(at(cands, k), plain, at(finalTest, k));
      for (const o of sampleObservers) await o.observeSample(sample, finalRef, finalTest);
      sampleMemory.endSample([...finalRef.values(), ...finalTest.flatMap((m) => [...m.values()])]);
      await refGroups?.sweep();
      for (const c of cands) await c.groups?.sweep();
      samples.push(sample.id);
      sampleIndex.push(streamIndex);
      opt.onProgress?.(samples.length, sample.id);
    }
    dumps.ref?.writer.close();
    for (const c of cands) c.dump?.close();
  } catch (e) {
    dumps.ref?.writer.abort();
    for (const c of cands) c.dump?.abort();
    throw e;
  } finally {
    await fp32Runner.close();
    await refGroups?.close();
    for (const c of cands) { await c.runner.close(); await c.plain?.close(); await c.groups?.close(); }
  }
  timing.totalMs = performance.now() - t0;
  return {
    fp32: { path: fp32.path, sha256: modelSha256(fp32), backend: fp32Runner.describe().backend },
    candidates: cands.map((c) => candidateResult(c, samples.length)),
    samples,
    sampleIndex,
    timing,
  };
}

/** Whether `t` is an integer tensor standing for a dequantized value (it carries the pair's scale). */
function isQuantizedStandIn(pair: TensorPair, t: Tensor): boolean {
  return pair.test.kind !== 'float' && pair.test.scale !== undefined && !isFloatDType(t.dtype);
}

/**
 * The value an INT8 tensor stands for: a QOperator op's integer output, a Q/DQ pair's integer
 * tensor (named after its DequantizeLinear output), or the integer tensor an engine layer that
 * fuses the Quantize of a Q/DQ pair returns, dequantized with the pair's own scale and zero point;
 * anything else as is.
 */
function asCompared(pair: TensorPair, t: Tensor): Tensor {
  const q = pair.test;
  return isQuantizedStandIn(pair, t) ? dequantizeTensor(t, q.scale!, q.zeroPoint, t.name === q.quantized ? q.actual : t.name) : t;
}

/** The scale and zero point to compare an integer stand-in with directly: one per-tensor DequantizeLinear. */
function dequantOf(pair: TensorPair, t: Tensor): { scale: number; zeroPoint: number } | undefined {
  const q = pair.test;
  return isQuantizedStandIn(pair, t) && q.scale?.length === 1 ? { scale: q.scale[0]!, zeroPoint: q.zeroPoint?.[0] ?? 0 } : undefined;
}

/** Folds one pair into the candidate's sums; true when an observer keeps the tensors (TensorObserver). */
function foldPair(c: CandidateState, pair: TensorPair, ref: Tensor, test: Tensor, sample: Sample, k: number, observers: TensorObserver[]): boolean {
  const name = pair.name;
  if (!c.fold.add(name, sample.id, ref, test, dequantOf(pair, test))) return false;
  if (!c.meta.has(name)) c.meta.set(name, { shape: ref.shape, dtype: ref.dtype });
  let retain = false;
  for (const o of observers) if (o.observeTensor(pair, k, sample, ref, test) === 'retain') retain = true;
  return retain;
}

/**
 * Runs each INT8 model as deployed (no tensor marked) on the first sample and closes its session
 * (used once: its memory goes to the runs that follow). `open`: open the session now (under a
 * memory budget, so that it never coexists with the others), else it was opened with them.
 */
async function runPlain(cands: CandidateState[], sample: Sample, timing: ComparisonResult['timing'], open?: OpenRunner): Promise<Map<string, Tensor>[]> {
  const out: Map<string, Tensor>[] = [];
  for (const c of cands) {
    const plain = c.plain ?? (open ? await open(c.model, [], 'int8') : undefined);
    const outputs = new Map<string, Tensor>();
    if (plain) {
      const t = performance.now();
      for await (const tensor of plain.run(sample.feeds)) outputs.set(tensor.name, tensor);
      timing.runMs += performance.now() - t; timing.modelRuns++;
      await plain.close();
      c.plain = undefined;
    }
    out.push(outputs);
  }
  return out;
}

/** Final outputs of the INT8 model as deployed against the instrumented ones (first sample). */
function perturbation(c: CandidateState, plainOutputs: Map<string, Tensor>, instrumented: Map<string, Tensor>): void {
  for (const [name, plain] of plainOutputs) {
    const inst = instrumented.get(name);
    if (!inst || !isFloatDType(plain.dtype)) continue;
    const m = compareTensors(plain, inst);
    c.perturbation.push({ output: name, maxAbs: m.maxAbs, sqnrDb: m.sqnrDb });
  }
}

/**
 * --max-memory: the plan (memory-budget.ts) from the weights and the tensor sizes the runtime knows
 * statically; a warning when the budget is under the floor, and again if a tensor learned later
 * (dynamic shapes) is larger than a whole group.
 */
function memoryPlan(budget: number, fp32: OnnxModel, fp32Runner: Runner, cands: CandidateState[], warn: (line: string) => void = () => {}) {
  const known = [...staticSizes(fp32Runner.describe().tensors).values(), ...cands.flatMap((c) => [...staticSizes(c.runner.describe().tensors).values()])];
  const weights = { fp32: weightBytes(fp32), int8: Math.max(0, ...cands.map((c) => weightBytes(c.model))) };
  const plan = planMemory(budget, weights, Math.max(0, ...known));
  const mb = (b: number) => (b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0);
  if (plan.budgetBytes > budget) {
    warn(`warning: --max-memory ${mb(budget)} MB is under what these models need at least (${mb(weights.fp32 + weights.int8)} MB of weights, one session per model, and two fetch groups of ${mb(Math.max(MIN_GROUP_BYTES, ...known))} MB): running with ${mb(plan.budgetBytes)} MB`);
  }
  let warned = false;
  return {
    plan,
    checkLearned(sizes: ReadonlyMap<string, number>): void {
      if (warned) return;
      for (const [name, bytes] of sizes) {
        if (bytes <= plan.groupBytes) continue;
        warned = true;
        warn(`warning: --max-memory: tensor ${name} (${mb(bytes)} MB, its size known only once it ran) is larger than a fetch group (${mb(plan.groupBytes)} MB); it runs in a group of its own, above the budget`);
        return;
      }
    },
  };
}

function candidateResult(c: CandidateState, samples: number): CandidateResult {
  const records: TensorRecord[] = [];
  for (const p of c.pairing.pairs) {
    const metrics = c.fold.metrics(p.name);
    if (!metrics || c.fold.skipped.has(p.name)) continue;
    const meta = mustGet(c.meta, p.name);
    // The Q/DQ pair's integer tensor stands for its DQ output (fetched for speed: fetchOf above).
    const fetched = c.fetchName.get(p.name);
    const int8Name = fetched === undefined || fetched === p.test.quantized ? p.test.actual : fetched;
    // A backend that does not expose a DQ output gives the float tensor it quantizes instead.
    const asPaired = int8Name === p.test.actual;
    records.push({
      name: p.name, int8Name, opType: p.opType, node: p.node, order: p.order,
      shape: meta.shape, dtype: meta.dtype, int8Kind: asPaired ? p.test.kind : 'float', ...(p.int8Op ? { int8Op: p.int8Op } : {}),
      ...(asPaired && p.test.scale?.length === 1 ? { scale: p.test.scale[0] } : {}),
      inputs: p.inputs, metrics, worst: c.fold.worst.get(p.name) ?? null,
    });
  }
  return {
    model: { path: c.model.path, sha256: modelSha256(c.model), backend: c.runner.describe().backend },
    records,
    skipped: [...c.fold.skipped].map(([name, reason]) => ({ name, reason })),
    unmatched: { fp32: c.pairing.unmatchedRef, int8: c.pairing.unmatchedTest },
    perturbation: c.perturbation,
    accumulators: c.fold.acc,
    coverage: c.coverage.result(samples),
  };
}

const FUSED_INT8 = 'fused by the INT8 backend (no such tensor in its engine)';
const FUSED_FP32 = 'fused by the FP32 backend (no such tensor in its engine)';

function fusedNames(r: Runner): Set<string> {
  return new Set((r.describe().fused ?? []).map((f) => f.name));
}

function unionInOrder(lists: TensorPair[][]): string[] {
  const order = new Map<string, number>();
  for (const l of lists) for (const p of l) order.set(p.name, p.order);
  return [...order.keys()].sort((a, b) => mustGet(order, a) - mustGet(order, b));
}

function checkSameInputs(refPath: string, ref: { name: string; shape: (number | string)[]; dtype: string }[], testPath: string, test: { name: string; shape: (number | string)[]; dtype: string }[]): void {
  const fmt = (l: typeof ref) => l.map((i) => `${i.name} ${i.dtype}[${i.shape.join(',')}]`).join('; ');
  const same = ref.length === test.length && ref.every((r, i) => {
    const t = at(test, i);
    return r.name === t.name && r.dtype === t.dtype && r.shape.length === t.shape.length &&
      r.shape.every((d, j) => typeof d !== 'number' || typeof t.shape[j] !== 'number' || d === t.shape[j]);
  });
  if (!same) throw new UserError(`model inputs differ from ${path.basename(refPath)}: ${fmt(test)} vs ${fmt(ref)}`, testPath);
}

interface Dumps {
  ref?: { writer: ArrowDumpWriter; writeInputs(s: Sample): void };
}

async function openDumps(fp32: OnnxModel, cands: CandidateState[], dir: string | undefined, backend: string): Promise<Dumps> {
  if (!dir) return {};
  // Loaded on first use: apache-arrow costs ~0.2 s of start-up that runs without dumps need not pay.
  const { ArrowDumpWriter } = await import('../dump/arrow-dump-writer.js');
  const [refFile, ...candFiles] = dumpFileNames(cands.length).map((f) => path.join(dir, f));
  const writer = ArrowDumpWriter.open(refFile!, { role: 'fp32', model: fp32.path, backend });
  cands.forEach((c, k) => {
    c.dump = ArrowDumpWriter.open(at(candFiles, k), { role: 'int8', model: c.model.path, backend, reference: fp32.path });
  });
  return {
    ref: {
      writer,
      // Inputs go into the FP32 dump, so that `--input fp32.arrow` replays the same samples.
      writeInputs: (s) => { for (const t of Object.values(s.feeds)) writer.write(t, s.id); },
    },
  };
}
