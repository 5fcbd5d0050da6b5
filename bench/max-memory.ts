/**
 * `--max-memory` as a bound: peak RSS of `trt-diff run` on an activation-heavy and a weight-heavy
 * model pair, generated here (test/robustness/fixtures.ts), not committed.
 *
 *   npx tsc -p tsconfig.json && npx tsx bench/max-memory.ts [--budgets 64,1] [--baseline]
 *
 * activation-heavy: 16 chained Adds on a [1, 26.2M] input, 105 MB per activation (and per Q/DQ
 * output on the INT8 side), no weights to speak of. weight-heavy: 4 MatMuls with [2424, 2424]
 * weights, 94 MB of weights per model, 10 KB activations. --baseline also runs without --max-memory.
 * Results go to bench/README.md §8 by hand.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainPair, weightHeavyPair } from '../test/robustness/fixtures.js';
import { loadAverage, measure } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const budgets = arg('budgets', '64').split(',').map(Number);
const baseline = process.argv.includes('--baseline');
const only = arg('case', 'both');

const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'bench-maxmem-'));
const cases: { name: string; fp32: string; int8: string; note: string }[] = [];
if (only !== 'weights') {
  const a = chainPair(dir, Math.round(105e6 / 4), 16);
  cases.push({ name: 'activation-heavy', ...a, note: '16 x 105 MB activations per model' });
}
if (only !== 'activations') {
  const w = weightHeavyPair(dir, 2424, 4);
  cases.push({ name: 'weight-heavy', ...w, note: `${(w.weightBytes / 1e6).toFixed(0)} MB of weights per model` });
}
console.log(`node ${process.version}, ${os.cpus().length} cores, load ${loadAverage()}, ${new Date().toISOString()}`);
console.log('| case | --max-memory MB | wall s | peak RSS MB | exit | note |');
console.log('|---|---:|---:|---:|---:|---|');
try {
  for (const c of cases) {
    for (const b of [...(baseline ? [undefined] : []), ...budgets]) {
      const json = path.join(dir, 'r.json');
      const args = [path.join(ROOT, 'dist/cli/main.js'), 'run', '--fp32', c.fp32, '--int8', c.int8, '--input', 'random:0', '-q', '--json', json, ...(b === undefined ? [] : ['--max-memory', String(b)])];
      const m = await measure(process.execPath, args);
      const warn = m.stderr.split('\n').find((l) => l.startsWith('warning: --max-memory')) ?? (m.status === 0 ? '' : m.stderr.trim().split('\n').pop());
      console.log(`| ${c.name} (${c.note}) | ${b ?? 'none'} | ${m.wallS.toFixed(1)} | ${m.peakRssMB.toFixed(0)} | ${m.status} | ${warn} |`);
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
