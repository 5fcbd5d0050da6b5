import { describe, expect, it } from 'vitest';
import { minimalPassingSet } from '../../src/localize/bisect.js';
import { OutputMeter, meets, parseTarget } from '../../src/localize/targets.js';
import { toScoreChannelPair } from '../../src/cli/options.js';
import { exportFlags } from '../../src/localize/export-flags.js';
import { UserError } from '../../src/errors.js';

const items = 'abcdefghijklmnopqrstuvwxyz'.split('');
/** Monotone oracle: passes iff the set holds every needed item. */
const oracle = (needed: string[]) => async (set: readonly string[]) => {
  const pass = needed.every((n) => set.includes(n));
  return { value: pass ? 1 : 0, pass };
};

describe('minimal passing set (iterative bisection + greedy prune)', () => {
  it('finds exactly the needed items, about log2(n) evaluations each', async () => {
    const r = await minimalPassingSet(items, (x) => x, oracle(['c', 'q', 'x']));
    expect(r.set!.slice().sort()).toEqual(['c', 'q', 'x']);
    // baseline + all + 3 rounds of ≤ ceil(log2 26)=5 probes + 3 checks + ≤ 3 prunes
    expect(r.evaluations).toBeLessThanOrEqual(2 + 3 * 5 + 3 + 3);
    expect(r.steps.map((s) => s.evaluation)).toEqual(Array.from({ length: r.evaluations }, (_, i) => i + 1));
  });

  it('one needed item costs the same whatever its rank', async () => {
    const first = await minimalPassingSet(items, (x) => x, oracle(['a']));
    const last = await minimalPassingSet(items, (x) => x, oracle(['z']));
    expect(first.set).toEqual(['a']);
    expect(last.set).toEqual(['z']);
    expect(Math.abs(first.evaluations - last.evaluations)).toBeLessThanOrEqual(1);
  });

  it('already passing → empty set; unreachable → null', async () => {
    expect((await minimalPassingSet(items, (x) => x, oracle([]))).set).toEqual([]);
    const never = await minimalPassingSet(items, (x) => x, async () => ({ value: 0, pass: false }));
    expect(never.set).toBeNull();
    expect(never.evaluations).toBe(2);
  });

  it('a non-monotone test still returns a set that passed', async () => {
    // passes with {b} or with ≥ 20 items, but not with {b} plus a few others
    const odd = async (set: readonly string[]) => {
      const pass = set.length >= 20 || (set.length === 1 && set[0] === 'b');
      return { value: pass ? 1 : 0, pass };
    };
    const r = await minimalPassingSet(items, (x) => x, odd);
    expect(r.set).not.toBeNull();
    expect(await odd(r.set!)).toMatchObject({ pass: true });
  });
});

describe('targets', () => {
  it('parses the documented forms', () => {
    expect(parseTarget('class_sqnr>=25')).toMatchObject({ metric: 'class_sqnr', op: '>=', value: 25 });
    expect(parseTarget('sqnr>=30@output0')).toMatchObject({ metric: 'sqnr', value: 30, output: 'output0' });
    expect(parseTarget('cosine>=0.999@output0')).toMatchObject({ metric: 'cosine', value: 0.999, output: 'output0' });
    expect(parseTarget('map50_drop<=0.01')).toMatchObject({ metric: 'map50_drop', op: '<=', value: 0.01 });
    expect(meets(parseTarget('sqnr>30'), 30)).toBe(false);
    expect(meets(parseTarget('sqnr>=30'), 30)).toBe(true);
    expect(meets(parseTarget('sqnr>=30'), NaN)).toBe(false);
  });

  it('refuses nonsense with a UserError', () => {
    expect(() => parseTarget('sqnr<=30')).toThrow(UserError);
    expect(() => parseTarget('map50_drop>=0.1')).toThrow(/lower-is-better/);
    expect(() => parseTarget('psnr>=3')).toThrow(/--target "psnr>=3": unknown metric psnr/);
    expect(() => toScoreChannelPair({ 'score-channels': '84:4' })).toThrow(/Expected a non-empty range \(END above START\) for --score-channels but received "84:4"/);
    expect(() => new OutputMeter({ metric: 'map50_drop' })).toThrow(/detections/);
  });

  it('class_sqnr reads only rows START:END of axis 1 (closed form)', () => {
    // shape [1, 3, 2]: rows 0 (boxes, huge error) and 1..2 (scores)
    const ref = { name: 'o', dtype: 'float32' as const, shape: [1, 3, 2], data: Float32Array.from([100, 200, 3, 4, 1, 2]) };
    const test = { ...ref, data: Float32Array.from([0, 0, 3, 3, 1, 2]) };
    const cls = new OutputMeter({ metric: 'class_sqnr' }, toScoreChannelPair({ 'score-channels': '1:' }));
    cls.add(ref, test);
    expect(cls.value()).toBeCloseTo(10 * Math.log10((9 + 16 + 1 + 4) / 1), 10);
    const all = new OutputMeter({ metric: 'sqnr' });
    all.add(ref, test);
    expect(all.value()).toBeCloseTo(10 * Math.log10((1e4 + 4e4 + 30) / (1e4 + 4e4 + 1)), 10);
  });
});

describe('export flags', () => {
  it('anchors and escapes ModelOpt regexes; lists trtexec and Polygraphy precisions', () => {
    const f = exportFlags(['/model.22/Concat_3', '/model.2/m.0/cv1/conv/Conv']);
    expect(f.modelopt).toBe("--nodes_to_exclude '^/model\\.22/Concat_3$' '^/model\\.2/m\\.0/cv1/conv/Conv$'");
    expect(f.trtexec).toBe('--precisionConstraints=obey --layerPrecisions=/model.22/Concat_3:fp32,/model.2/m.0/cv1/conv/Conv:fp32');
    expect(f.polygraphy).toBe('--precision-constraints obey --layer-precisions /model.22/Concat_3:float32 /model.2/m.0/cv1/conv/Conv:float32');
    expect(/^\/model\.22\/Concat_3$/.test('/model.22/Concat_3')).toBe(true);
  });
});
