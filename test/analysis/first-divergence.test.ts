import { describe, expect, it } from 'vitest';
import type { TensorRecord } from '../../src/compare/compare-models.js';
import { DEFAULT_DIVERGENCE, accumulation, firstDivergence, inputDrops, type DivergenceOptions } from '../../src/analysis/first-divergence.js';

/**
 * The first divergence (the tool's main answer) on hand-made chains, each rule pinned at its
 * threshold: below the SQNR (or cosine) threshold AND at least dropDb below the worst input.
 */
function rec(name: string, order: number, sqnrDb: number, inputs: string[] = [], over: Partial<TensorRecord> = {}): TensorRecord {
  return {
    name, int8Name: name, opType: `Op${order}`, node: `n${order}`, order, shape: [1], dtype: 'float32', int8Kind: 'float', inputs,
    metrics: { count: 1, cosine: 1, maxAbs: 0, meanAbs: 0, rmse: 0, sqnrDb, maxRel: 0, nanCount: { ref: 0, test: 0 }, infCount: { ref: 0, test: 0 }, refRange: [0, 0], testRange: [0, 0] },
    worst: null, ...over,
  };
}
const withCos = (r: TensorRecord, cosine: number): TensorRecord => ({ ...r, metrics: { ...r.metrics, cosine } });
const opt = (o: Partial<DivergenceOptions> = {}): DivergenceOptions => ({ ...DEFAULT_DIVERGENCE, ...o });

describe('first divergence', () => {
  it('defaults: 20 dB, 3 dB drop, cosine 0.99, accumulated error', () => {
    expect(DEFAULT_DIVERGENCE).toEqual({ sqnrThresholdDb: 20, dropDb: 3, cosineThreshold: 0.99, use: 'accumulated' });
  });

  it('the "made here" rule: a tensor below the threshold counts only when it is at least dropDb below its worst input', () => {
    // x (input, exact) → a 30 dB → b 18 dB (12 below) → c 16 dB (2 below: inherited)
    const rows = [rec('x', 0, Infinity), rec('a', 1, 30, ['x']), rec('b', 2, 18, ['a']), rec('c', 3, 16, ['b'])];
    const d = firstDivergence(rows)!;
    expect(d).toEqual({ tensor: 'b', opType: 'Op2', node: 'n2', sqnrDb: 18, cosine: 1, inputSqnrDb: 30, dropDb: 12, reason: 'SQNR 18.0 dB < 20 dB, 12.0 dB below its inputs' });
    // Exactly dropDb below counts (>=); a hair less does not.
    expect(firstDivergence([rec('a', 0, 25, []), rec('b', 1, 19, ['a']), rec('c', 2, 10, ['b'])], opt({ dropDb: 6 }))!.tensor).toBe('b');
    expect(firstDivergence([rec('a', 0, 25, []), rec('b', 1, 19.5, ['a']), rec('c', 2, 19, ['b'])], opt({ dropDb: 6 }))).toBeNull();
  });

  it('inherited error only: every tensor below the threshold but none clearly below its input → null, and accumulation names where it runs', () => {
    // a 21 → b 19 (2 below) → c 17 (2 below) → d 18: each below 20 only by what it inherits.
    const rows = [rec('a', 0, 21), rec('b', 1, 19, ['a']), rec('c', 2, 17, ['b']), rec('d', 3, 18, ['c'])];
    expect(firstDivergence(rows)).toBeNull();
    expect(accumulation(rows)).toEqual({ from: { tensor: 'b', opType: 'Op1', sqnrDb: 19 }, to: { tensor: 'c', opType: 'Op2', sqnrDb: 17 }, below: 3 });
    // c at 15 dB is 4 below b: made there.
    expect(firstDivergence(rows.map((r) => (r.name === 'c' ? rec('c', 2, 15, ['b']) : r)))!.tensor).toBe('c');
  });

  it('the threshold is strict: exactly at it is not below', () => {
    expect(firstDivergence([rec('a', 0, 20)])).toBeNull();
    expect(firstDivergence([rec('a', 0, 19.99)])!.tensor).toBe('a');
  });

  it('a tensor with no compared inputs needs only to be below the threshold; its reason has no drop', () => {
    const d = firstDivergence([rec('a', 0, 12, ['not-compared'])])!;
    expect(d.inputSqnrDb).toBeNull();
    expect(d.dropDb).toBeNull();
    expect(d.reason).toBe('SQNR 12.0 dB < 20 dB');
  });

  it('topological order decides, not the order of the rows', () => {
    const rows = [rec('late', 5, 5, ['early']), rec('early', 1, 10, [])];
    expect(firstDivergence(rows)!.tensor).toBe('early');
    expect(rows.map((r) => r.name)).toEqual(['late', 'early']); // not sorted in place
  });

  it('cosine below its threshold diverges too, with the same drop rule; the reason names the cosine', () => {
    const rows = [rec('a', 0, 40), withCos(rec('b', 1, 30, ['a']), 0.98)];
    const d = firstDivergence(rows)!;
    expect(d.tensor).toBe('b');
    expect(d.reason).toBe('cosine 0.9800 < 0.99, 10.0 dB below its inputs');
    expect(firstDivergence([rec('a', 0, 40), withCos(rec('b', 1, 30, ['a']), 0.99)])).toBeNull();
    // SQNR exactly at the threshold and cosine below its own: the cosine is the reason.
    expect(firstDivergence([withCos(rec('a', 0, 20), 0.5)])!.reason).toBe('cosine 0.5000 < 0.99');
    // Cosine low but no drop: inherited.
    expect(firstDivergence([withCos(rec('a', 0, 40), 0.5), withCos(rec('b', 1, 39, ['a']), 0.5)])!.tensor).toBe('a');
  });

  it('exact inputs: the drop is infinite and the reason says the error starts here', () => {
    const d = firstDivergence([rec('x', 0, Infinity), rec('a', 1, 15, ['x'])])!;
    expect(d.dropDb).toBe(Infinity);
    expect(d.inputSqnrDb).toBe(Infinity);
    expect(d.reason).toBe('SQNR 15.0 dB < 20 dB, its inputs are exact (the error starts here)');
  });

  it('inputDrops: the worst (lowest) compared input; NaN inputs ignored; −inf inputs give no drop', () => {
    const rows = [rec('p', 0, 30), rec('q', 1, 24), rec('n', 2, NaN), rec('m', 3, -Infinity), rec('r', 4, 20, ['p', 'q', 'n']), rec('s', 5, 10, ['m']), rec('t', 6, 5, ['n'])];
    const d = inputDrops(rows);
    expect(d.get('r')).toEqual({ inputSqnrDb: 24, dropDb: 4 });
    expect(d.get('s')).toEqual({ inputSqnrDb: -Infinity, dropDb: null });
    expect(d.get('t')).toEqual({ inputSqnrDb: null, dropDb: null });
    expect(d.get('p')).toEqual({ inputSqnrDb: null, dropDb: null });
    // An input below −inf's "no drop" still diverges only by the threshold rule.
    expect(firstDivergence([rec('m', 0, -Infinity), rec('s', 1, 10, ['m'])])!.tensor).toBe('m');
    expect(firstDivergence([rec('m', 0, -Infinity), rec('s', 1, 10, ['m'])].slice(1))!.reason).toBe('SQNR 10.0 dB < 20 dB');
  });

  it('a drop that is finite but whose inputs are not exact reads "N dB below its inputs"; an infinite drop from finite inputs cannot happen, −inf own SQNR reads "below its inputs"', () => {
    const d = firstDivergence([rec('a', 0, 25), rec('b', 1, -Infinity, ['a'])])!;
    expect(d.dropDb).toBe(Infinity);
    expect(d.reason).toBe('SQNR -Infinity dB < 20 dB, below its inputs');
  });

  it('local error: judged by each op\'s own SQNR and cosine, no drop rule needed', () => {
    const local = (r: TensorRecord, sqnrDb: number, cosine = 1) => ({ ...r, local: { sqnrDb, cosine, amplificationDb: 0 } });
    const rows = [local(rec('a', 0, 30), 35), local(rec('b', 1, 15, ['a']), 25), local(rec('c', 2, 14, ['b']), 12)];
    const d = firstDivergence(rows, opt({ use: 'local' }))!;
    expect(d).toMatchObject({ tensor: 'c', sqnrDb: 12, reason: 'local SQNR 12.0 dB < 20 dB' });
    // Accumulated view of the same rows: b (15 dB, 15 below a) is first.
    expect(firstDivergence(rows)!.tensor).toBe('b');
    // Local cosine.
    expect(firstDivergence([local(rec('a', 0, 30), 35, 0.9)], opt({ use: 'local' }))!.reason).toBe('local cosine 0.9000 < 0.99');
    // A row without local metrics falls back to its accumulated error (and the drop rule).
    expect(firstDivergence([rec('a', 0, 30), rec('b', 1, 15, ['a'])], opt({ use: 'local' }))!.reason).toBe('SQNR 15.0 dB < 20 dB, 15.0 dB below its inputs');
  });

  it('accumulation: first below the threshold in topological order, the worst (last of equals), how many, and the worst local op', () => {
    expect(accumulation([rec('a', 0, 30), rec('b', 1, 25)])).toBeNull();
    const rows = [rec('d', 3, 12), rec('b', 1, 18), rec('c', 2, 12), rec('a', 0, 40), withCos(rec('e', 4, 35), 0.5)];
    expect(accumulation(rows)).toEqual({ from: { tensor: 'b', opType: 'Op1', sqnrDb: 18 }, to: { tensor: 'd', opType: 'Op3', sqnrDb: 12 }, below: 4 });
    const withLocal = rows.map((r) => (r.name === 'c' ? { ...r, local: { sqnrDb: 9, cosine: 1, amplificationDb: 3 } } : r.name === 'b' ? { ...r, local: { sqnrDb: 11, cosine: 1, amplificationDb: 0 } } : r));
    expect(accumulation(withLocal)!.worstLocal).toEqual({ tensor: 'c', sqnrDb: 9 });
    expect(accumulation(rows, opt({ sqnrThresholdDb: 15, cosineThreshold: 0 }))).toMatchObject({ from: { tensor: 'c' }, below: 2 });
    expect(accumulation([rec('a', 0, 20)])).toBeNull();
    expect(accumulation([withCos(rec('a', 0, 30), 0.99)])).toBeNull();
    expect(accumulation([withCos(rec('a', 0, 30), 0.9899)])!.below).toBe(1);
    // The worst local op is the lowest; of equals, the first in the rows.
    const loc = (r: TensorRecord, sqnrDb: number) => ({ ...r, local: { sqnrDb, cosine: 1, amplificationDb: 0 } });
    expect(accumulation([loc(rec('a', 0, 10), 4), loc(rec('b', 1, 12), 7)])!.worstLocal).toEqual({ tensor: 'a', sqnrDb: 4 });
    expect(accumulation([loc(rec('a', 0, 10), 7), loc(rec('b', 1, 12), 7)])!.worstLocal).toEqual({ tensor: 'a', sqnrDb: 7 });
  });
});
