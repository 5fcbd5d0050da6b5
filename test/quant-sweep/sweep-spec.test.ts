import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/errors.js';
import { parseSweep } from '../../src/quant-sweep/sweep-spec.js';
import { listSamples, shuffledFirst } from '../../src/quant-sweep/sample-order.js';
import { scaleMovement } from '../../src/quant-sweep/scale-movement.js';

const BASE = { batch: 8, images: 500, calibrator: 'entropy2' as const };

describe('--sweep spec', () => {
  it('is the cartesian product of the axes, first axis slowest; unswept axes keep the base values', () => {
    const p = parseSweep(['batch=1,8,32', 'images=100,500'], BASE);
    expect(p.axes).toEqual([{ axis: 'batch', values: [1, 8, 32] }, { axis: 'images', values: [100, 500] }]);
    expect(p.combinations.map((c) => [c.batch, c.images])).toEqual([[1, 100], [1, 500], [8, 100], [8, 500], [32, 100], [32, 500]]);
    expect(p.combinations.every((c) => c.calibrator === 'entropy2' && c.seed === undefined)).toBe(true);
    const q = parseSweep(['calibrator=entropy2,MinMax', 'seed=0,1', 'batch=4'], BASE);
    expect(q.combinations).toHaveLength(4);
    expect(q.combinations[3]).toEqual({ batch: 4, images: 500, calibrator: 'minmax', seed: 1 });
  });

  it.each([
    [[], /at least one/],
    [['colour=1,2'], /unknown axis "colour"/],
    [['batch='], /empty value/],
    [['batch=1,,8'], /empty value/],
    [['batch=1.5'], /batch must be a positive integer, got "1.5"/],
    [['batch=0'], /positive integer, got "0"/],
    [['images=-3'], /positive integer/],
    [['seed=x'], /seed must be a non-negative integer/],
    [['batch=1', 'batch=8'], /axis batch given twice/],
    [['batch=1,1'], /batch=1 listed twice/],
    [['calibrator=kl'], /unknown calibrator "kl"/],
    [['batch'], /expected AXIS=V1,V2/],
  ])('rejects %j', (flags, message) => {
    expect(() => parseSweep(flags, BASE)).toThrow(UserError);
    expect(() => parseSweep(flags, BASE)).toThrow(message);
  });
});

describe('seeded order', () => {
  it('permutes exactly the first n samples, the same way for the same seed', () => {
    const all = Array.from({ length: 20 }, (_, i) => `img${i}.jpg`);
    const a = shuffledFirst(all, 8, 1);
    expect([...a].sort()).toEqual(all.slice(0, 8).sort());
    expect(shuffledFirst(all, 8, 1)).toEqual(a);
    expect(shuffledFirst(all, 8, 2)).not.toEqual(a);
    expect(all[0]).toBe('img0.jpg'); // input untouched
  });
});

describe('listing samples for the seed axis', () => {
  it('lists folders (sorted, images only) and list.txt lines; keeps single specs; refuses Arrow dumps', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-sweep-list-'));
    try {
      for (const f of ['b.jpg', 'a.png', 'notes.md']) fs.writeFileSync(path.join(dir, f), '');
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'list.txt'), '# calibration\n../a.png\n\nc.jpg\n');
      const warned: string[] = [];
      const out = listSamples([dir, path.join(dir, 'sub', 'list.txt'), 'x=arr.npy', 'random:3'], (l) => warned.push(l));
      expect(out).toEqual([path.join(dir, 'a.png'), path.join(dir, 'b.jpg'), path.join(dir, 'a.png'), path.join(dir, 'sub', 'c.jpg'), 'x=arr.npy', 'random:3']);
      expect(warned).toEqual([`warning: ${path.join(dir, 'notes.md')}: not an image or .npy, skipped`]);
      expect(() => listSamples(['dump.arrow'])).toThrow(/dump.arrow: the seed axis shuffles/);
      expect(() => listSamples([path.join(dir, 'sub')])).toThrow(/folder contains no images/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scale movement', () => {
  it('is the median |log2 ratio| and the tensor that moved most, signed', () => {
    const ref = new Map([['a', 1], ['b', 2], ['c', 4], ['z', 0]]);
    const cur = new Map([['a', 1], ['b', 1], ['c', 16], ['z', 3]]);
    // |log2|: a 0, b 1, c 2; z has no ratio (zero reference scale)
    expect(scaleMovement(ref, cur, ['a', 'b', 'c', 'z'])).toEqual({ medianAbsLog2: 1, tensor: 'c', log2: 2, compared: 3 });
    expect(scaleMovement(ref, ref, ['a', 'b', 'c'])).toEqual({ medianAbsLog2: 0, tensor: 'a', log2: 0, compared: 3 });
    expect(scaleMovement(ref, cur, ['b']).log2).toBe(-1);
    expect(scaleMovement(ref, cur, []).tensor).toBeNull();
  });
});
