import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/inputs/npy.js';
import { luma } from '../../src/inputs/image-loader.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ROOT, tmpDir } from '../helpers/paths.js';
import { expectOneLineUserError, runCli } from '../helpers/cli.js';
import { dumpedInputs, imageModelPair, maskedModelPair, mkdir, redBluePng } from './fixtures.js';

/**
 * Every input flag run end to end through `trt-diff run`, its effect read back from the inputs
 * recorded in the FP32 dump and checked against closed-form values: the picture is 32×16, left
 * half pure red (255,0,0), right half pure blue (0,0,255).
 */
let dir: string, img: string;
let fixed: { fp32: string; int8: string }, dynamic: { fp32: string; int8: string }, nhwc: { fp32: string; int8: string }, gray: { fp32: string; int8: string };
let masked: { fp32: string; int8: string };
beforeAll(async () => {
  dir = tmpDir('input-flags-');
  img = await redBluePng(path.join(dir, 'rb.png'), 32, 16);
  fixed = imageModelPair(dir, [1, 3, 32, 32], 'fixed');
  dynamic = imageModelPair(dir, [1, 3, 'h', 'w'], 'dynamic');
  nhwc = imageModelPair(dir, [1, 'h', 'w', 3], 'nhwc');
  gray = imageModelPair(dir, [1, 1, 32, 32], 'gray');
  masked = maskedModelPair(dir);
});

let k = 0;
async function feeds(models: { fp32: string; int8: string }, args: string[], names = ['images']): Promise<Map<string, Map<string, Tensor>>> {
  const dump = path.join(dir, `dump${k++}`);
  const r = runCli(['run', '--fp32', models.fp32, '--int8', models.int8, '--dump', dump, '-q', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return dumpedInputs(dump, names);
}
const only = (m: Map<string, Map<string, Tensor>>, name = 'images'): Tensor => [...m.values()][0]!.get(name)!;
const nchw = (t: Tensor) => (c: number, y: number, x: number) => (t.data as Float32Array)[c * t.shape[2]! * t.shape[3]! + y * t.shape[3]! + x]!;
const f32 = (v: number) => Math.fround(v);

describe('input flags, end to end (values read back from the dump)', () => {
  it('defaults (yolov8): 32×16 centred in 32×32, 8 rows of 114/255 above and below, RGB /255', async () => {
    const t = only(await feeds(fixed, ['--input', img]));
    expect(t.shape).toEqual([1, 3, 32, 32]);
    const at = nchw(t);
    for (const y of [0, 7, 24, 31]) expect(at(1, y, 5)).toBe(f32(114 / 255));
    expect([at(0, 8, 4), at(1, 8, 4), at(2, 8, 4)]).toEqual([1, 0, 0]);
    expect([at(0, 23, 28), at(1, 23, 28), at(2, 23, 28)]).toEqual([0, 0, 1]);
  });

  it('--imgsz H,W sizes a dynamic input (16,32: the picture fills it, no padding); --imgsz N both sides', async () => {
    const t = only(await feeds(dynamic, ['--input', img, '--imgsz', '16,32']));
    expect(t.shape).toEqual([1, 3, 16, 32]);
    expect(nchw(t)(0, 0, 4)).toBe(1);
    expect(only(await feeds(dynamic, ['--input', img, '--imgsz', '48,192'])).shape).toEqual([1, 3, 48, 192]);
  });

  it('--pad-position top-left --pad-value 0 --no-normalize --bgr: picture in rows 0-15, zeros below, 0..255, red in channel 2', async () => {
    const at = nchw(only(await feeds(dynamic, ['--input', img, '--imgsz', '32', '--pad-position', 'top-left', '--pad-value', '0', '--no-normalize', '--bgr'])));
    expect([at(0, 0, 4), at(1, 0, 4), at(2, 0, 4)]).toEqual([0, 0, 255]);
    expect([at(0, 15, 28), at(2, 15, 28)]).toEqual([255, 0]);
    for (const c of [0, 1, 2]) expect(at(c, 16, 4)).toBe(0);
  });

  it('--preset yolox sets top-left, BGR, 0..255, pad 114; an explicit --no-bgr overrides the preset', async () => {
    const at = nchw(only(await feeds(dynamic, ['--input', img, '--imgsz', '32', '--preset', 'yolox'])));
    expect([at(2, 0, 4), at(0, 0, 4), at(1, 31, 4)]).toEqual([255, 0, 114]);
    const rgb = nchw(only(await feeds(dynamic, ['--input', img, '--imgsz', '32', '--preset', 'yolox', '--no-bgr'])));
    expect([rgb(0, 0, 4), rgb(2, 0, 4)]).toEqual([255, 0]);
  });

  it('--mean/--std: (v/255 - mean) / std per channel, padding included', async () => {
    const at = nchw(only(await feeds(dynamic, ['--input', img, '--imgsz', '32', '--mean', '0.5,0.25,0', '--std', '0.25,0.5,2'])));
    expect([at(0, 8, 4), at(1, 8, 4), at(2, 8, 4)]).toEqual([2, -0.5, 0]);
    expect(at(0, 0, 0)).toBeCloseTo((114 / 255 - 0.5) / 0.25, 6);
  });

  it('--resize resize stretches (no padding rows); --resize crop --crop-fraction 1 covers and cuts the centre', async () => {
    const s = nchw(only(await feeds(dynamic, ['--input', img, '--imgsz', '32', '--resize', 'resize'])));
    for (const y of [0, 31]) expect([s(0, y, 4), s(2, y, 28)]).toEqual([1, 1]);
    // crop: 32×16 → 64×32, columns 16..47 kept = original columns 8..23: red up to 15, blue from 16.
    const c = nchw(only(await feeds(dynamic, ['--input', img, '--imgsz', '32', '--resize', 'crop', '--crop-fraction', '1'])));
    for (const y of [0, 31]) expect([c(0, y, 2), c(2, y, 2), c(0, y, 29), c(2, y, 29)]).toEqual([1, 0, 0, 1]);
  });

  it('--nhwc feeds [1,H,W,3]', async () => {
    const t = only(await feeds(nhwc, ['--input', img, '--imgsz', '32', '--nhwc']));
    expect(t.shape).toEqual([1, 32, 32, 3]);
    const d = t.data as Float32Array;
    expect([d[(8 * 32 + 4) * 3]!, d[(8 * 32 + 4) * 3 + 2]!]).toEqual([1, 0]);
  });

  it('a grayscale model takes images: ITU-R 601-2 luma (red 76, blue 29), padding 114', async () => {
    expect([luma(255, 0, 0), luma(0, 0, 255), luma(114, 114, 114)]).toEqual([76, 29, 114]); // (R·299 + G·587 + B·114)/1000, rounded
    const t = only(await feeds(gray, ['--input', img]));
    expect(t.shape).toEqual([1, 1, 32, 32]);
    const at = nchw(t);
    expect([at(0, 8, 4), at(0, 8, 28), at(0, 0, 0)]).toEqual([f32(76 / 255), f32(29 / 255), f32(114 / 255)]);
  });

  it('two inputs: images from a folder zipped with mask=const:0.5 (repeated), or with a folder of .npy masks; --max-images cuts', async () => {
    const imgs = mkdir(path.join(dir, 'imgs'));
    await redBluePng(path.join(imgs, 'a.png'), 32, 16);
    await redBluePng(path.join(imgs, 'b.png'), 16, 32);
    const withConst = await feeds(masked, ['--input', imgs, '--input', 'mask=const:0.5', '--imgsz', '32'], ['images', 'mask']);
    expect([...withConst.keys()].map((s) => path.basename(s))).toEqual(['a.png', 'b.png']);
    for (const s of withConst.values()) {
      expect(s.get('mask')!.shape).toEqual([1, 1, 32, 32]);
      expect(new Set(s.get('mask')!.data as Float32Array)).toEqual(new Set([0.5]));
    }
    const masks = mkdir(path.join(dir, 'masks'));
    for (const [i, v] of [[0, 0], [1, 1]] as const) fs.writeFileSync(path.join(masks, `m${i}.npy`), encodeNpy({ name: 'm', dtype: 'float32', shape: [1, 1, 32, 32], data: new Float32Array(1024).fill(v) }));
    const withNpy = await feeds(masked, ['--input', img, '--input', `mask=${masks}`, '--imgsz', '32'], ['images', 'mask']);
    expect([...withNpy.values()].map((s) => (s.get('mask')!.data as Float32Array)[0])).toEqual([0, 1]);
    // Sample ids name every input that is not a constant: the picture, repeated, and each mask.
    expect([...withNpy.keys()]).toEqual([0, 1].map((i) => `${img} + mask=${path.join(masks, `m${i}.npy`)}`));
    expect((await feeds(masked, ['--input', imgs, '--input', 'mask=const:1', '--imgsz', '32', '--max-images', '1'], ['images', 'mask'])).size).toBe(1);
  });

  it('an input left unfed, a name the model lacks, and uneven streams are one-line errors', () => {
    const r = runCli(['run', '--fp32', masked.fp32, '--int8', masked.int8, '--input', img, '--imgsz', '32']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^trt-diff: model input "mask" gets no value from --input \(1 of 2 unfed\): add --input mask=x\.npy/);
    const bad = path.join(dir, 'nope.npy');
    fs.writeFileSync(bad, encodeNpy({ name: 'm', dtype: 'float32', shape: [1, 1, 32, 32], data: new Float32Array(1024) }));
    expectOneLineUserError(runCli(['run', '--fp32', masked.fp32, '--int8', masked.int8, '--input', img, '--input', `mask2=${bad}`]), bad, /model has no input named "mask2" \(inputs: images, mask\)/);
    const two = mkdir(path.join(dir, 'two'));
    const three = mkdir(path.join(dir, 'three'));
    for (const i of [0, 1]) fs.copyFileSync(bad, path.join(two, `${i}.npy`));
    for (const i of [0, 1, 2]) fs.copyFileSync(img, path.join(three, `${i}.png`));
    const r2 = runCli(['run', '--fp32', masked.fp32, '--int8', masked.int8, '--input', three, '--input', `mask=${two}`, '--imgsz', '32']);
    expect(r2.status).toBe(2);
    expect(r2.stderr.trim()).toMatch(/--input mask=\.\.\. gives 2 samples but the unnamed --input gives more/);
  });

  it('.npy for dynamic H/W: any size in the symbolic dims, fixed dims and rank checked', () => {
    const ok = path.join(dir, 'big.npy');
    fs.writeFileSync(ok, encodeNpy({ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: new Float32Array(3 * 48 * 192) }));
    const r = runCli(['run', '--fp32', dynamic.fp32, '--int8', dynamic.int8, '--input', ok, '-q']);
    expect(r.status, r.stderr).toBe(0);
    const wrong = path.join(dir, 'four_channels.npy');
    fs.writeFileSync(wrong, encodeNpy({ name: 'x', dtype: 'float32', shape: [1, 4, 48, 192], data: new Float32Array(4 * 48 * 192) }));
    expectOneLineUserError(runCli(['run', '--fp32', dynamic.fp32, '--int8', dynamic.int8, '--input', wrong]), wrong, /array shape \[1,4,48,192\] does not fit model input images \[1,3,h,w\]/);
  });

  it('--strict-inputs refuses a non-image file in a folder; without it the file is skipped with a warning', () => {
    const mixed = mkdir(path.join(dir, 'mixed'));
    fs.copyFileSync(img, path.join(mixed, 'a.png'));
    fs.writeFileSync(path.join(mixed, 'notes.txt'), 'hello');
    const loose = runCli(['run', '--fp32', fixed.fp32, '--int8', fixed.int8, '--input', mixed, '-q']);
    expect(loose.status, loose.stderr).toBe(0);
    expect(loose.stderr).toMatch(/warning: .*notes\.txt: not an image or \.npy, skipped/);
    expectOneLineUserError(runCli(['run', '--fp32', fixed.fp32, '--int8', fixed.int8, '--input', mixed, '--strict-inputs']), 'notes.txt', /not an image or \.npy file in the input folder/);
  });

  it('--no-normalize parses on bisect (it used to be "Unknown argument: normalize")', () => {
    const r = runCli(['bisect', '--fp32', path.join(dir, 'missing.onnx'), '--int8', fixed.int8, '--input', img, '--target', 'sqnr>=1', '--no-normalize']);
    expectOneLineUserError(r, 'missing.onnx', /file not found/);
  });

  it('calibrate takes a folder of .npy arrays and the shared input flags', () => {
    const cache = path.join(dir, 'two.cache');
    const r = runCli(['calibrate', '--model', path.join(ROOT, 'goldens/quant/two_conv.onnx'), '--images', path.join(ROOT, 'goldens/quant/inputs'), '--calibrator', 'minmax', '--cache', cache, '--max-images', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 images in 1 batch/);
  });
});
