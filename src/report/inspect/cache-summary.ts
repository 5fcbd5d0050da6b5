import { readCalibrationCache } from '../../quant/calibration-cache.js';
import { fmtNum } from '../format.js';
import { termLines } from '../terminal-text.js';
import { at } from '../../errors.js';

/** amax (scale·127) above this is almost always a calibration bug (unbounded activations, bad data). */
const HUGE_RANGE = 1e4;
/** amax below this quantizes nearly everything to zero. */
const TINY_RANGE = 1e-6;

export interface CacheEntry { name: string; scale: number; range: number; problem?: string }

/** Why a cache entry deserves a look: 0, Inf (TensorRT's "no range"), NaN, huge, tiny. */
function cacheProblem(scale: number): string | undefined {
  if (Number.isNaN(scale)) return 'NaN scale';
  if (scale === Infinity || scale === -Infinity) return 'infinite scale (TensorRT: no range; the tensor stays in higher precision)';
  if (scale < 0) return 'negative scale';
  if (scale === 0) return 'zero scale (every value quantizes to 0)';
  const range = scale * 127;
  if (range > HUGE_RANGE) return `huge range ±${fmtNum(range)}`;
  if (range < TINY_RANGE) return `tiny range ±${fmtNum(range)}`;
  return undefined;
}

export function renderCacheSummary(file: string): string {
  const cache = readCalibrationCache(file);
  const entries: CacheEntry[] = [...cache.scales].map(([name, scale]) => ({ name, scale, range: scale * 127, problem: cacheProblem(scale) }));
  const ok = entries.filter((e) => !e.problem).sort((a, b) => a.range - b.range);
  const bad = entries.filter((e) => e.problem);
  const median = ok.length ? at(ok, Math.floor(ok.length / 2)).range : NaN;
  const lines = [
    file,
    `  TensorRT ${cache.version}, ${cache.algorithm}: ${entries.length} entries (range = scale·127)`,
    ok.length ? `  ranges: min ±${fmtNum(at(ok, 0).range)}, median ±${fmtNum(median)}, max ±${fmtNum(at(ok, ok.length - 1).range)}` : '  no usable range',
    `  suspicious: ${bad.length}`,
    ...bad.map((e) => `    ${e.name}: ${e.problem}`),
  ];
  if (ok.length) {
    const show = (xs: CacheEntry[]) => xs.map((e) => `    ±${fmtNum(e.range).padStart(10)}  ${e.name}`);
    lines.push('  largest ranges:', ...show(ok.slice(-5).reverse()), '  smallest ranges:', ...show(ok.slice(0, 5)));
  }
  return termLines(lines);
}
