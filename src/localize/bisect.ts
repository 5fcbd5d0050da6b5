import { at } from '../errors.js';
/**
 * Smallest set of items (ops to keep in float) that makes a test pass, assuming the test is
 * monotone (more float ops never hurt) but checking the result anyway.
 *
 * Items come ranked (worst local error first). Round by round, a binary search finds the shortest
 * prefix of the remaining ranking that, together with the items already required, passes; the last
 * item of that prefix is required (without it the shorter prefix failed), and only the items before
 * it stay candidates. Each required item costs about log2(n) evaluations, whatever its rank, and
 * under monotonicity the result is 1-minimal. A greedy pass then tries dropping each member (it
 * catches non-monotone cases, where the metric is noisy). Evaluations are cached by set.
 */
export interface SearchStep {
  evaluation: number;
  size: number;
  value: number;
  pass: boolean;
  ms: number;
  phase: 'baseline' | 'all' | 'bisect' | 'prune';
}

export interface SearchResult<T> {
  /** null when even every item together does not pass. */
  set: T[] | null;
  evaluations: number;
  steps: SearchStep[];
  baseline: number;
  all: number;
  final: number;
}

export type SetTest<T> = (set: readonly T[]) => Promise<{ value: number; pass: boolean; ms?: number }>;

export async function minimalPassingSet<T>(ranking: readonly T[], key: (t: T) => string | number, test: SetTest<T>, onStep?: (s: SearchStep, set: readonly T[]) => void): Promise<SearchResult<T>> {
  const cache = new Map<string, { value: number; pass: boolean }>();
  const steps: SearchStep[] = [];
  let phase: SearchStep['phase'] = 'baseline';
  const run = async (set: readonly T[]) => {
    const k = set.map(key).map(String).sort().join('\u0000');
    const hit = cache.get(k);
    if (hit) return hit;
    const r = await test(set);
    cache.set(k, r);
    const step: SearchStep = { evaluation: steps.length + 1, size: set.length, value: r.value, pass: r.pass, ms: r.ms ?? 0, phase };
    steps.push(step);
    onStep?.(step, set);
    return r;
  };

  const baseline = await run([]);
  if (baseline.pass) return { set: [], evaluations: steps.length, steps, baseline: baseline.value, all: NaN, final: baseline.value };
  phase = 'all';
  const all = await run(ranking);
  if (!all.pass) return { set: null, evaluations: steps.length, steps, baseline: baseline.value, all: all.value, final: all.value };

  phase = 'bisect';
  const required: T[] = [];
  let cands = ranking.slice();
  // The smallest set seen to pass: the answer if the metric turns out not to be monotone.
  let passing: T[] = ranking.slice();
  // Invariant (under monotonicity): required ∪ cands passes.
  while (!(await run(required)).pass && cands.length > 0) {
    let lo = 1, hi = cands.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const set = [...required, ...cands.slice(0, mid)];
      if ((await run(set)).pass) { hi = mid; passing = set; } else lo = mid + 1;
    }
    required.push(at(cands, hi - 1));
    cands = cands.slice(0, hi - 1);
  }

  phase = 'prune';
  let set = required;
  for (const item of required.slice()) {
    if (set.length <= 1) break;
    const without = set.filter((x) => x !== item);
    if ((await run(without)).pass) set = without;
  }
  let final = await run(set);
  if (!final.pass) { set = passing; final = await run(set); }
  return { set, evaluations: steps.length, steps, baseline: baseline.value, all: all.value, final: final.value };
}
