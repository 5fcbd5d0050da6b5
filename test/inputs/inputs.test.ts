import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage, YOLO_PREPROCESS } from '../../src/inputs/image-loader.js';
import { encodeNpy, parseNpy, readNpy } from '../../src/inputs/npy.js';
import { samplesFrom } from '../../src/inputs/input-source.js';
import { randomTensor } from '../../src/inputs/random.js';
import { UserError } from '../../src/errors.js';
import { YOLO, hasShared, pythonWith, tmpDir } from '../helpers/paths.js';

async function twoColourPng(file: string, w: number, h: number): Promise<void> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    if (x < w / 2) { px[o] = 255; } else { px[o + 2] = 255; } // left red, right blue
  }
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

describe('image letterbox (Ultralytics geometry)', () => {
  it('pads a 100×50 picture to 64×64 with 16 rows of 114 above and below, RGB, /255', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'two.png');
    await twoColourPng(f, 100, 50);
    const { tensor, letterbox } = await loadImage(f, 'images', 64, 64);
    expect(tensor.shape).toEqual([1, 3, 64, 64]);
    expect(letterbox).toMatchObject({ scale: 0.64, padLeft: 0, padTop: 16, srcWidth: 100, srcHeight: 50 });
    const d = tensor.data as Float32Array;
    const at = (c: number, y: number, x: number) => d[c * 64 * 64 + y * 64 + x]!;
    for (const y of [0, 15, 48, 63]) for (const c of [0, 1, 2]) expect(at(c, y, 10)).toBeCloseTo(114 / 255, 6);
    expect([at(0, 32, 8), at(1, 32, 8), at(2, 32, 8)]).toEqual([1, 0, 0]);
    expect([at(0, 32, 56), at(1, 32, 56), at(2, 32, 56)]).toEqual([0, 0, 1]);
    const bgr = await loadImage(f, 'images', 64, 64, { ...YOLO_PREPROCESS, channelOrder: 'bgr', normalize: false });
    expect((bgr.tensor.data as Float32Array)[2 * 64 * 64 + 32 * 64 + 8]).toBe(255); // red lands in channel 2
  });
  it.skipIf(!hasShared)('bus.jpg (810×1080) → 480×640 content, 80 columns of padding each side', async () => {
    const { letterbox, tensor } = await loadImage(YOLO.bus, 'images', 640, 640);
    expect(letterbox.padLeft).toBe(80);
    expect(letterbox.padTop).toBe(0);
    expect(letterbox.scale).toBeCloseTo(640 / 1080, 12);
    const d = tensor.data as Float32Array;
    expect(d[320 * 640 + 79]).toBeCloseTo(114 / 255, 6);
    expect(d[320 * 640 + 560]).toBeCloseTo(114 / 255, 6);
  });
  it('an undecodable image is a UserError naming the file', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'broken.jpg');
    fs.writeFileSync(f, Buffer.from('\xff\xd8\xff garbage'));
    await expect(loadImage(f, 'images', 64, 64)).rejects.toThrow(UserError);
    await expect(loadImage(f, 'images', 64, 64)).rejects.toThrow(/broken\.jpg: cannot decode image/);
  });
});

describe('.npy I/O', () => {
  it('round-trips float32/int64/uint8 through encode and parse', () => {
    for (const t of [
      { name: 'a', dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
      { name: 'b', dtype: 'int64' as const, shape: [3], data: BigInt64Array.from([1n, -2n, 3n]) },
      { name: 'c', dtype: 'uint8' as const, shape: [1, 1, 2], data: Uint8Array.from([0, 255]) },
    ]) {
      const back = parseNpy(encodeNpy(t), t.name);
      expect(back.shape).toEqual(t.shape);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
    }
  });
  const py = pythonWith('numpy');
  if (!py.ok) console.log(`skipping the numpy interop check: ${py.reason}`);
  it.skipIf(!py.ok)('reads what numpy writes and numpy reads what we write', () => {
    const dir = tmpDir();
    const r = spawnSync('python3', ['-c', `import numpy as np; np.save("${dir}/np.npy", np.arange(12, dtype=np.float32).reshape(3, 4) / 7)`]);
    expect(r.status).toBe(0);
    const t = readNpy(path.join(dir, 'np.npy'), 'x');
    expect(t.shape).toEqual([3, 4]);
    expect((t.data as Float32Array)[11]).toBeCloseTo(11 / 7, 6);
    fs.writeFileSync(path.join(dir, 'ts.npy'), encodeNpy(randomTensor('r', [2, 5], 7)));
    const back = spawnSync('python3', ['-c', `import numpy as np; a = np.load("${dir}/ts.npy"); print(a.shape, a.dtype, float(a.sum()))`], { encoding: 'utf8' });
    const sum = Array.from(randomTensor('r', [2, 5], 7).data as Float32Array).reduce((s, v) => s + v, 0);
    expect(back.stdout).toContain('(2, 5) float32');
    expect(Number(back.stdout.trim().split(' ').pop())).toBeCloseTo(sum, 4);
  });
  it('rejects a .npy whose shape does not fit the model input', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'wrong.npy');
    fs.writeFileSync(f, encodeNpy(randomTensor('x', [1, 3, 32, 32], 1)));
    const it = samplesFrom([f], [{ name: 'images', dtype: 'float32', shape: [1, 3, 640, 640] }]);
    await expect((async () => { for await (const _ of it) { /* drain */ } })()).rejects.toThrow(/wrong\.npy: array shape \[1,3,32,32\] does not fit model input images/);
  });
});

describe('input sources', () => {
  it('random:SEED is reproducible and differs across seeds', async () => {
    const info = [{ name: 'x', dtype: 'float32' as const, shape: ['batch', 4] as (number | string)[] }];
    const take = async (spec: string) => { for await (const s of samplesFrom([spec], info)) return s.feeds.x!.data as Float32Array; throw new Error(); };
    const a = await take('random:3'), b = await take('random:3'), c = await take('random:4');
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a.length).toBe(4);
  });
  it('a folder skips non-images with a warning, or refuses them with strict', async () => {
    const dir = tmpDir();
    await twoColourPng(path.join(dir, 'a.png'), 8, 8);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    const info = [{ name: 'images', dtype: 'float32' as const, shape: [1, 3, 16, 16] as (number | string)[] }];
    const warnings: string[] = [];
    const ids: string[] = [];
    for await (const s of samplesFrom([dir], info, { warn: (w) => warnings.push(w) })) ids.push(path.basename(s.id));
    expect(ids).toEqual(['a.png']);
    expect(warnings[0]).toMatch(/notes\.txt: not an image or .npy, skipped/);
    await expect((async () => { for await (const _ of samplesFrom([dir], info, { strict: true })) { /* drain */ } })()).rejects.toThrow(/notes\.txt/);
  });
});
