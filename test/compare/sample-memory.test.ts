import { describe, expect, it } from 'vitest';
import { SampleMemory } from '../../src/compare/sample-memory.js';
import { nativeFastPath } from '../../src/native/addon.js';
import { releaseTensor } from '../../src/tensor/release.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { missing } from '../helpers/paths.js';

const release = nativeFastPath('releaseBuffer');
const why = release ? '' : missing('native', process.env.TRTDIFF_NO_NATIVE ? 'native addon hidden (TRTDIFF_NO_NATIVE is set)' : 'native addon not built');
const tensor = (name: string, n = 8): Tensor => ({ name, dtype: 'float32', shape: [n], data: new Float32Array(n).fill(1) });
const freed = (t: Tensor) => t.data.buffer.byteLength === 0;

describe.skipIf(!release)(`freeing activations early (tensor/release.ts, compare/sample-memory.ts)${why ? ` — skipped: ${why}` : ''}`, () => {
  it('releaseTensor frees a tensor that spans its own buffer, never a view over part of one', () => {
    const own = tensor('own');
    releaseTensor(own);
    expect(freed(own)).toBe(true);
    expect(own.data.length).toBe(0); // reads as empty, never as other data
    const shared = new Float32Array(16);
    const view: Tensor = { name: 'view', dtype: 'float32', shape: [8], data: shared.subarray(8) };
    releaseTensor(view);
    expect(shared.byteLength).toBe(64);
    expect(release!(own.data.buffer as ArrayBuffer)).toBe(false); // already detached
  });

  it('frees what it owns when done, holds what an observer keeps until the sample ends, never what it does not own or keeps', () => {
    const m = new SampleMemory();
    const [a, b, held, out, foreign] = ['a', 'b', 'held', 'out', 'foreign'].map((n) => tensor(n)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    for (const t of [a, b, held, out]) m.adopt(t);
    m.done(a);
    expect(freed(a)).toBe(true);
    m.hold(held);
    m.done(held);
    m.done(foreign);
    expect([freed(held), freed(foreign)]).toEqual([false, false]);
    m.hold(out);
    m.endSample([out]);
    expect([freed(held), freed(out), freed(b)]).toEqual([true, false, false]);
    m.done(out); // a later sample may free it once it is no longer kept
    expect(freed(out)).toBe(true);
  });
});
if (!release) console.log(`early freeing of activations not tested: ${why}`);
