/**
 * Cost of `trt-diff run --local` against a plain `run`, same process, same image, alternating the
 * two so that machine load affects both alike. Usage:
 *   npx tsx bench/local-error.ts [--repeat 3] [--image ../shared/data/images/bus.jpg] [--int8 model.onnx]
 * Prints a Markdown table (paste into bench/README.md, section 7).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { runBuilder, runComparison, type RunArgs } from '../src/cli/commands/run.js';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt; };
const DATA = path.resolve(import.meta.dirname, '../../shared/data');
const fp32 = path.join(DATA, 'yolov8n/yolov8n_fp32.onnx');
const int8 = flag('int8', path.join(DATA, 'yolov8n/yolov8n_int8_qdq_entropy.onnx'));
const image = flag('image', path.join(DATA, 'images/bus.jpg'));
const repeat = Number(flag('repeat', '3'));

/** Parsed by the real `run` builder, so every registered analysis sees its defaults. */
function args(local: boolean): RunArgs {
  return runBuilder(yargs(['--fp32', fp32, '--int8', int8, '-i', image, '--quiet', ...(local ? ['--local'] : [])])).parseSync() as unknown as RunArgs;
}

async function timed(local: boolean): Promise<{ ms: number; runMs: number; localMs: number; openMs: number }> {
  const t0 = performance.now();
  const report = await runComparison(args(local));
  const ms = performance.now() - t0;
  const f = report.candidates[0]!.analyses.local as { ms: number; openMs: number } | undefined;
  return { ms, runMs: report.timing.runMs, localMs: f?.ms ?? 0, openMs: f?.openMs ?? 0 };
}

await timed(false); // warm-up: file cache, ORT kernels
const plain: number[] = [], local: number[] = [], localPart: number[] = [], openPart: number[] = [];
for (let i = 0; i < repeat; i++) {
  plain.push((await timed(false)).ms);
  const l = await timed(true);
  local.push(l.ms);
  localPart.push(l.localMs);
  openPart.push(l.openMs);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const min = (v: number[]) => Math.min(...v);
const p = median(plain), l = median(local);
console.log(`| model | image | statistic | plain run (ms) | run --local (ms) | local part (ms) | of which cut-model build (ms) | ratio |`);
console.log(`|---|---|---|---|---|---|---|---|`);
console.log(`| ${path.basename(int8)} | ${path.basename(image)} | median | ${p.toFixed(0)} | ${l.toFixed(0)} | ${median(localPart).toFixed(0)} | ${median(openPart).toFixed(0)} | ${(l / p).toFixed(2)}× |`);
console.log(`| ${path.basename(int8)} | ${path.basename(image)} | min | ${min(plain).toFixed(0)} | ${min(local).toFixed(0)} | ${min(localPart).toFixed(0)} | ${min(openPart).toFixed(0)} | ${(min(local) / min(plain)).toFixed(2)}× |`);
console.log(`\n${repeat} alternating repeats, medians; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}; plain runs ${plain.map((x) => x.toFixed(0)).join('/')}, local runs ${local.map((x) => x.toFixed(0)).join('/')}`);
