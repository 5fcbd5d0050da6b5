import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import type { TensorInfo } from '../runners/runner.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel, shapeString } from '../tensor/tensor.js';
import { IMAGE_EXTENSIONS, loadImage, YOLO_PREPROCESS, type ImagePreprocess, type Letterbox } from './image-loader.js';
import { readNpy } from './npy.js';
import { checkRegularFile, ioProblem, readInputText } from '../io/input-file.js';
import { randomTensor } from './random.js';

/** One set of feeds, given byte-identical to every model under comparison. */
export interface Sample {
  id: string;
  feeds: Record<string, Tensor>;
  /** For image inputs: the file and the letterbox geometry (to draw boxes on the picture). */
  image?: { file: string; letterbox: Letterbox };
}

export interface InputOptions {
  preprocess?: ImagePreprocess;
  /** Override spatial size for models with dynamic H/W (default 640). */
  imgsz?: number;
  maxSamples?: number;
  /** Refuse (instead of skipping with a warning) files in an image folder that are not images. */
  strict?: boolean;
  warn?: (line: string) => void;
}

/**
 * Concrete input shapes: symbolic batch dims become 1, symbolic spatial dims `imgsz`.
 */
export function concreteShape(info: TensorInfo, imgsz = 640): number[] {
  return info.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : i >= info.shape.length - 2 ? imgsz : 1));
}

/**
 * Resolve `--input` specs into a stream of samples. A spec is one of:
 *   image file | folder of images | list.txt (one image path per line) | x.npy | name=x.npy |
 *   dump.arrow (inputs of a previous run) | random | random:SEED
 * Samples are produced one at a time: a folder of 10,000 images is never decoded up front.
 */
export async function* samplesFrom(specs: readonly string[], inputs: readonly TensorInfo[], opt: InputOptions = {}): AsyncIterable<Sample> {
  if (inputs.length === 0) throw new UserError('model has no inputs to feed');
  let produced = 0;
  const max = opt.maxSamples ?? Infinity;
  for (const spec of specs.length > 0 ? specs : ['random:0']) {
    for await (const s of samplesOfSpec(spec, inputs, opt)) {
      if (produced >= max) return;
      produced++;
      yield s;
    }
  }
}

async function* samplesOfSpec(spec: string, inputs: readonly TensorInfo[], opt: InputOptions): AsyncIterable<Sample> {
  const first = inputs[0]!;
  const random = /^random(?::(\d+))?$/.exec(spec);
  if (random) {
    const seed = Number(random[1] ?? 0);
    const feeds: Record<string, Tensor> = {};
    inputs.forEach((info, k) => { feeds[info.name] = randomTensor(info.name, concreteShape(info, opt.imgsz), seed + k); });
    yield { id: spec, feeds };
    return;
  }
  const eq = spec.indexOf('=');
  if (eq > 0 && spec.endsWith('.npy') && !fs.existsSync(spec)) {
    const name = spec.slice(0, eq);
    const info = inputs.find((i) => i.name === name);
    if (!info) throw new UserError(`model has no input named "${name}" (inputs: ${inputs.map((i) => i.name).join(', ')})`, spec.slice(eq + 1));
    yield { id: spec, feeds: { [name]: checkedNpy(spec.slice(eq + 1), info, opt) } };
    return;
  }
  if (!fs.existsSync(spec)) throw new UserError('input not found', spec);
  const stat = fs.statSync(spec);
  if (stat.isDirectory()) {
    const files = folderFiles(spec);
    const images = files.filter(isImagePath);
    for (const f of files.filter((x) => !isImagePath(x))) {
      if (opt.strict) throw new UserError('not an image file in the input folder (remove it or drop --strict-inputs)', f);
      opt.warn?.(`warning: ${f}: not an image, skipped`);
    }
    if (images.length === 0) throw new UserError('folder contains no images', spec);
    for (const f of images) yield await imageSample(f, first, opt);
    return;
  }
  const ext = path.extname(spec).toLowerCase();
  if (ext === '.npy') {
    yield { id: spec, feeds: { [first.name]: checkedNpy(spec, first, opt) } };
  } else if (ext === '.arrow' || ext === '.feather') {
    yield* dumpSamples(spec, inputs);
  } else if (ext === '.txt') {
    const dir = path.dirname(spec);
    const lines = readInputText(spec).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (lines.length === 0) throw new UserError('image list is empty', spec);
    for (const l of lines) yield await imageSample(path.resolve(dir, l), first, opt);
  } else {
    yield await imageSample(spec, first, opt);
  }
}

/**
 * Regular files of an input folder, sorted; sub-folders are skipped, but an entry that cannot be
 * followed (dangling or looping symlink) or that is a FIFO, socket or device is refused by name.
 */
function folderFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const f = path.join(dir, name);
    let st: fs.Stats;
    try { st = fs.statSync(f); } catch (e) { throw new UserError(`${ioProblem(e)}, in input folder`, f); }
    if (st.isDirectory()) continue;
    if (!st.isFile()) checkRegularFile(f); // throws, naming what it is
    out.push(f);
  }
  return out;
}

function isImagePath(f: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());
}

async function imageSample(file: string, info: TensorInfo, opt: InputOptions): Promise<Sample> {
  const shape = concreteShape(info, opt.imgsz);
  const pre = opt.preprocess ?? YOLO_PREPROCESS;
  if (shape.length !== 4) throw new UserError(`model input ${info.name} has shape ${shapeString(info.shape)}, not an image batch`, file);
  const nchw = pre.layout === 'nchw';
  const [h, w, c] = nchw ? [shape[2]!, shape[3]!, shape[1]!] : [shape[1]!, shape[2]!, shape[3]!];
  if (c !== 3) throw new UserError(`model input ${info.name} has ${c} channels; images give 3`, file);
  checkRegularFile(file); // a FIFO named x.jpg would block the decoder forever
  const img = await loadImage(file, info.name, w, h, pre);
  return { id: file, feeds: { [info.name]: img.tensor }, image: { file, letterbox: img.letterbox } };
}

function checkedNpy(file: string, info: TensorInfo, opt: InputOptions): Tensor {
  const t = readNpy(file, info.name);
  const want = concreteShape(info, opt.imgsz);
  if (numel(t.shape) !== numel(want) || t.shape.length !== want.length) {
    throw new UserError(`array shape ${shapeString(t.shape)} does not fit model input ${info.name} ${shapeString(info.shape)}`, file);
  }
  if (info.dtype !== 'unknown' && t.dtype !== info.dtype) {
    throw new UserError(`array dtype ${t.dtype} does not match model input ${info.name} (${info.dtype})`, file);
  }
  return t;
}

/** Inputs recorded in a previous dump, grouped by sample. */
async function* dumpSamples(file: string, inputs: readonly TensorInfo[]): AsyncIterable<Sample> {
  const { openDump } = await import('../dump/arrow-dump-reader.js'); // loaded on first use (apache-arrow)
  const dump = await openDump(file);
  const wanted = new Set(inputs.map((i) => i.name));
  let current: Sample | undefined;
  let found = 0;
  for await (const e of dump.entries()) {
    if (!wanted.has(e.tensor.name)) continue;
    if (current && current.id !== e.sample) { yield current; current = undefined; }
    current ??= { id: e.sample, feeds: {} };
    current.feeds[e.tensor.name] = e.tensor;
    found++;
  }
  if (current) yield current;
  if (found === 0) throw new UserError(`dump holds none of the model inputs (${[...wanted].join(', ')})`, file);
}
