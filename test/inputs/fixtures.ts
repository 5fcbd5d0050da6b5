import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { saveModel } from '../../src/graph/onnx-model.js';
import { openDump } from '../../src/dump/arrow-dump-reader.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { floatTensor, int8Tensor, model, node, valueInfo } from '../helpers/onnx-builder.js';

/**
 * Image-input models for the input tests, built here (no binaries): y = Relu(2x + 1) on an image
 * input of any shape (FP32 and a Q/DQ version), and y = images · mask for a two-input model.
 */
function qdq(t: string) {
  return [
    node('QuantizeLinear', [t, 's', 'zp'], [`${t}_q`]),
    node('DequantizeLinear', [`${t}_q`, 's', 'zp'], [`${t}_dq`]),
  ];
}
const Q_INITS = () => [floatTensor('s', [], [0.05]), int8Tensor('zp', [], [0])];

export function imageModelPair(dir: string, shape: (number | string)[], tag: string): { fp32: string; int8: string } {
  const io = { inputs: [valueInfo('images', shape)], outputs: [valueInfo('y', shape)] };
  const inits = [floatTensor('two', [], [2]), floatTensor('one', [], [1])];
  const fp32 = model({ ...io, nodes: [node('Mul', ['images', 'two'], ['h']), node('Add', ['h', 'one'], ['a']), node('Relu', ['a'], ['y'])], initializers: inits });
  const int8 = model({
    ...io,
    nodes: [...qdq('images'), node('Mul', ['images_dq', 'two'], ['h']), node('Add', ['h', 'one'], ['a']), node('Relu', ['a'], ['y'])],
    initializers: [...inits, ...Q_INITS()],
  });
  const f = path.join(dir, `${tag}_fp32.onnx`), q = path.join(dir, `${tag}_int8.onnx`);
  saveModel(fp32, f);
  saveModel(int8, q);
  return { fp32: f, int8: q };
}

/** images [1,3,h,w] · mask [1,1,h,w] (dynamic H/W), the image side quantized in the INT8 model. */
export function maskedModelPair(dir: string): { fp32: string; int8: string } {
  const io = { inputs: [valueInfo('images', [1, 3, 'h', 'w']), valueInfo('mask', [1, 1, 'h', 'w'])], outputs: [valueInfo('y', [1, 3, 'h', 'w'])] };
  const fp32 = model({ ...io, nodes: [node('Mul', ['images', 'mask'], ['y'])] });
  const int8 = model({ ...io, nodes: [...qdq('images'), node('Mul', ['images_dq', 'mask'], ['y'])], initializers: Q_INITS() });
  const f = path.join(dir, 'masked_fp32.onnx'), q = path.join(dir, 'masked_int8.onnx');
  saveModel(fp32, f);
  saveModel(int8, q);
  return { fp32: f, int8: q };
}

/** A w×h PNG: left half pure red, right half pure blue. */
export async function redBluePng(file: string, w: number, h: number): Promise<string> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
  return file;
}

/** The input tensors recorded in a run's fp32.arrow dump, by sample then input name. */
export async function dumpedInputs(dumpDir: string, names: readonly string[]): Promise<Map<string, Map<string, Tensor>>> {
  const out = new Map<string, Map<string, Tensor>>();
  const d = await openDump(path.join(dumpDir, 'fp32.arrow'));
  for await (const e of d.entries()) {
    if (!names.includes(e.tensor.name)) continue;
    if (!out.has(e.sample)) out.set(e.sample, new Map());
    out.get(e.sample)!.set(e.tensor.name, e.tensor);
  }
  return out;
}

export function mkdir(p: string): string {
  fs.mkdirSync(p, { recursive: true });
  return p;
}
