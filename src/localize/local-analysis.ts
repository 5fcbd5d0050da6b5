import type { Argv } from 'yargs';
import { at } from '../errors.js';
import type { Analysis, AnalysisContext } from '../analysis/analysis.js';
import type { OnnxModel } from '../graph/onnx-model.js';
import type { SampleObserver, TensorObserver, TensorRecord } from '../compare/compare-models.js';
import { pairModels, type TensorPair } from '../compare/pairing.js';
import type { TensorMetrics } from '../compare/metrics.js';
import { accumulation, firstDivergence } from '../analysis/first-divergence.js';
import { samplesFrom, type Sample } from '../inputs/input-source.js';
import { OrtRunner } from '../runners/ort-runner.js';
import type { Report } from '../report/report.js';
import { ansi, fmtDb } from '../report/format.js';
import { numel, type Tensor } from '../tensor/tensor.js';
import { LocalErrorEngine, floatPairs, fp32RunnerProvider } from './local-error.js';

/**
 * `trt-diff run --local`: local error of every tensor next to its accumulated error.
 *
 * By default it rides on the comparison: the FP32 tensors compareModels streams past the observer
 * are held until the sample ends (what the comparison itself holds without --max-memory), then the
 * cut INT8 model (graph-cut.ts) runs once on them. So --local costs one extra INT8 run per sample
 * and no extra FP32 run. With --max-memory the comparison does not hold a whole sample; the
 * analysis then re-runs FP32 and the cut model group by group after the comparison.
 */
export interface LocalFindings {
  measured: number;
  /** Tensors with the lowest local SQNR: where error is made. */
  worst: { tensor: string; opType: string; node: string; localSqnrDb: number; sqnrDb: number; amplificationDb: number }[];
  ms: number;
  /** Of which: building the cut model(s) and their ONNX Runtime sessions (once per run). */
  openMs: number;
}

class LocalObserver implements TensorObserver, SampleObserver {
  private readonly held = new Map<string, Tensor>();
  engines: (LocalErrorEngine | undefined)[] = [];
  ms = 0;
  openMs = 0;
  constructor(private readonly fp32: OnnxModel, private readonly int8: readonly OnnxModel[], private readonly threads?: number) {}

  observeTensor(pair: TensorPair, _k: number, _s: Sample, ref: Tensor): 'retain' | undefined {
    if (this.held.has(pair.name)) return undefined;
    this.held.set(pair.name, ref); // the cut-graph runs read it at the end of the sample
    return 'retain';
  }

  async observeSample(sample: Sample): Promise<void> {
    const t0 = performance.now();
    try {
      for (const [k, m] of this.int8.entries()) {
        let engine = this.engines[k];
        if (!engine) {
          // Cut only where the comparison produced an FP32 value (it skips non-float tensors).
          const pairing = pairModels(this.fp32, m);
          const pairs = floatPairs(pairing.pairs, pairing.refGraph.declaredType).filter((p) => this.held.has(p.name) || p.name in sample.feeds);
          const t = performance.now();
          engine = this.engines[k] = await LocalErrorEngine.open(m, pairs, { threads: this.threads });
          this.openMs += performance.now() - t;
        }
        await engine.accumulate(sample, async () => this.held);
      }
    } finally {
      this.held.clear();
      this.ms += performance.now() - t0;
    }
  }

  async close(): Promise<void> {
    for (const e of this.engines) await e?.close();
  }

  /** What the run measured; the cut models' sessions closed. */
  async measured(): Promise<LocalMeasurement> {
    try {
      return { results: this.engines.map((e) => e?.results() ?? new Map()), ms: this.ms, openMs: this.openMs };
    } finally {
      await this.close();
    }
  }
}

export const localErrorAnalysis: Analysis<true> = {
  name: 'local',
  options<T>(y: Argv<T>) {
    return y.option('local', { type: 'boolean', default: false, describe: 'also measure local error: each op run on the FP32 values of its inputs (error made there, not inherited)', group: 'Analyses:' }) as unknown as Argv<T>;
  },
  parse: (args) => (args.local ? true : undefined),
  shardable: false, // its state (value histograms / local-error runs) does not merge across shards
  start(_o, { fp32, int8, settings: { maxBytesPerRun: budget, threads } }) {
    if (budget === undefined) {
      const o = new LocalObserver(fp32, int8, threads);
      return { observers: [o], finish: (report, ctx) => finishLocal(report, ctx, () => o.measured()) };
    }
    return {
      observers: [],
      finish: (report, ctx) => finishLocal(report, ctx, async () => {
        const t0 = performance.now();
        const results = await measureAfterwards(ctx, budget, threads);
        return { results, ms: performance.now() - t0, openMs: 0 };
      }),
    };
  },
  render(report: Report, k: number, color: boolean) {
    const f = report.candidates[k]?.analyses.local as LocalFindings | undefined;
    if (!f) return [];
    const lines = [ansi.bold(`local error (each op fed the FP32 values of its inputs; ${f.measured} tensors): where error is made`, color)];
    for (const w of f.worst.slice(0, 5)) {
      lines.push(`  ${w.tensor} (${w.opType})  local ${fmtDb(w.localSqnrDb)} dB, accumulated ${fmtDb(w.sqnrDb)} dB, amplification ${fmtDb(w.amplificationDb)} dB`);
    }
    return lines;
  },
};

/** Local metrics per candidate, with the time spent measuring them. */
interface LocalMeasurement { results: Map<string, TensorMetrics>[]; ms: number; openMs: number }

async function finishLocal(report: Report, ctx: AnalysisContext, measure: () => Promise<LocalMeasurement>): Promise<void> {
  const { results, ms, openMs } = await measure();
  report.thresholds = { ...report.thresholds, use: 'local' };
  report.candidates.forEach((c, k) => {
    const local = results[k] ?? new Map();
    for (const r of [...at(ctx.result.candidates, k).records, ...c.rows]) attachLocal(r, local.get(r.name));
    c.firstDivergence = firstDivergence(c.rows, report.thresholds);
    c.accumulation = c.firstDivergence ? null : accumulation(c.rows, report.thresholds);
    const worst = c.rows.flatMap((r) => (r.local ? [{ tensor: r.name, opType: r.opType, node: r.node, localSqnrDb: r.local.sqnrDb, sqnrDb: r.metrics.sqnrDb, amplificationDb: r.local.amplificationDb }] : []))
      .sort((a, b) => a.localSqnrDb - b.localSqnrDb).slice(0, 10);
    const findings: LocalFindings = { measured: local.size, worst, ms, openMs };
    c.analyses.local = findings;
  });
}

/** local − accumulated SQNR: how many dB of this tensor's error came from upstream. */
function amplificationDb(localDb: number, accumulatedDb: number): number {
  if (localDb === accumulatedDb) return 0; // both +inf: no error anywhere
  return localDb - accumulatedDb;
}

function attachLocal(r: TensorRecord, m: TensorMetrics | undefined): void {
  if (!m) return;
  r.local = { sqnrDb: m.sqnrDb, cosine: m.cosine, amplificationDb: amplificationDb(m.sqnrDb, r.metrics.sqnrDb) };
}

/** --max-memory: FP32 and the cut model again, group by group, sized from the comparison's records. */
async function measureAfterwards(ctx: AnalysisContext, budget: number, threads: number | undefined): Promise<Map<string, TensorMetrics>[]> {
  const out: Map<string, TensorMetrics>[] = [];
  const probe = await OrtRunner.open(ctx.fp32, { threads });
  const inputs = probe.describe().inputs;
  await probe.close();
  for (const [k, m] of ctx.int8.entries()) {
    const records = at(ctx.result.candidates, k).records;
    const compared = new Set(records.map((r) => r.name));
    const sizes = new Map(records.map((r) => [r.name, numel(r.shape) * 4]));
    const pairing = pairModels(ctx.fp32, m);
    const pairs = floatPairs(pairing.pairs, pairing.refGraph.declaredType).filter((p) => compared.has(p.name));
    const engine = await LocalErrorEngine.open(m, pairs, { maxBytesPerRun: budget, sizes, threads });
    const fp = await fp32RunnerProvider(ctx.fp32, pairs, threads);
    try {
      for await (const s of samplesFrom(ctx.inputs.specs, inputs, ctx.inputs.options)) await engine.accumulate(s, fp.provider(s));
      out.push(engine.results());
    } finally {
      await engine.close();
      await fp.close();
    }
  }
  return out;
}
