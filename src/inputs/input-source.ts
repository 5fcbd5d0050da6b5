import { UserError, at } from '../errors.js';
import type { TensorInfo } from '../runners/runner.js';
import { isFloatDType, type DType, type TypedArray } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel, shapeString } from '../tensor/tensor.js';
import { loadImage, YOLO_PREPROCESS, type ImagePreprocess, type Letterbox } from './image-loader.js';
import { isConstant, listFile, listFolder, parseInputSpec, type InputSpec } from './input-spec.js';
import { readNpy } from './npy.js';
import { checkRegularFile } from '../io/input-file.js';
import { randomTensor } from './random.js';

/** One set of feeds, given byte-identical to every model under comparison. */
export interface Sample {
  id: string;
  feeds: Record<string, Tensor>;
  /** For image inputs: the file and the letterbox geometry (to draw boxes on the picture). */
  image?: { file: string; letterbox: Letterbox };
}

/** Spatial size for inputs whose H/W are symbolic. */
export interface ImageSize { height: number; width: number }

const DEFAULT_IMGSZ: ImageSize = { height: 640, width: 640 };

export interface InputOptions {
  preprocess?: ImagePreprocess;
  /** Spatial size for models with dynamic H/W (default 640×640). */
  imgsz?: ImageSize;
  maxSamples?: number;
  /** Refuse (instead of skipping with a warning) files in an input folder that are not images or .npy. */
  strict?: boolean;
  warn?: (line: string) => void;
}

/**
 * Concrete input shapes: symbolic spatial dims (H, W of a rank-4 image input in the preprocess
 * layout; the last two dims of rank 3) become `imgsz`, every other symbolic dim 1.
 */
function concreteShape(info: TensorInfo, imgsz: ImageSize = DEFAULT_IMGSZ, layout: ImagePreprocess['layout'] = 'nchw'): number[] {
  const spatial = spatialAxes(info.shape.length, layout);
  return info.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : i === spatial[0] ? imgsz.height : i === spatial[1] ? imgsz.width : 1));
}

/** H and W of an input: none below rank 3 (token ids, masks, feature vectors). */
function spatialAxes(rank: number, layout: ImagePreprocess['layout']): [number, number] {
  if (rank < 3) return [-1, -1];
  return rank === 4 && layout === 'nhwc' ? [1, 2] : [rank - 2, rank - 1];
}

/**
 * Resolve `--input` specs (input-spec.ts) into a stream of samples. Specs of the same input are
 * concatenated; the streams of different inputs are zipped, a stream of one sample (a single
 * file, const, random) repeated for every sample of the others. Every model input must get a
 * value. Samples are produced one at a time: a folder of 10,000 images is never decoded up front.
 */
export async function* samplesFrom(specs: readonly string[], inputs: readonly TensorInfo[], opt: InputOptions = {}): AsyncIterable<Sample> {
  if (inputs.length === 0) throw new UserError('model has no inputs to feed');
  const groups = groupSpecs((specs.length > 0 ? specs : ['random:0']).map(parseInputSpec), inputs);
  const max = opt.maxSamples ?? Infinity;
  let produced = 0;
  const stream = groups.length === 1 ? groupSamples(at(groups, 0), inputs, opt) : zipGroups(groups, inputs, opt);
  for await (const s of stream) {
    if (produced >= max) return;
    const missing = inputs.filter((i) => !(i.name in s.feeds));
    if (missing.length > 0) {
      const m = at(missing, 0).name;
      throw new UserError(`model input "${m}" gets no value from --input (${missing.length} of ${inputs.length} unfed): add --input ${m}=x.npy, ${m}=folder/, ${m}=const:VALUE or ${m}=random`);
    }
    produced++;
    yield s;
  }
}

/** The specs feeding one model input (`target`), or, for `target` undefined, the unnamed ones. */
interface Group { target?: TensorInfo; specs: InputSpec[]; constant: boolean }

function groupSpecs(specs: InputSpec[], inputs: readonly TensorInfo[]): Group[] {
  const byName = new Map<string, Group>();
  const unnamed: InputSpec[] = [];
  for (const s of specs) {
    if (s.name === undefined) { unnamed.push(s); continue; }
    const info = inputs.find((i) => i.name === s.name);
    if (!info) throw new UserError(`model has no input named "${s.name}" (inputs: ${inputs.map((i) => i.name).join(', ')})`, s.text.slice(s.name.length + 1));
    const g = byName.get(s.name) ?? { target: info, specs: [], constant: true };
    g.specs.push(s);
    g.constant &&= isConstant(s.source);
    byName.set(s.name, g);
  }
  const groups = [...byName.values()];
  if (unnamed.length > 0) {
    if (groups.length === inputs.length) throw new UserError(`every model input is named by an --input NAME=...; nothing is left for ${at(unnamed, 0).text}`);
    groups.unshift({ specs: unnamed, constant: unnamed.every((s) => isConstant(s.source)) });
  }
  return groups;
}

/** The model inputs an unnamed spec may feed: those no named spec feeds. */
function unnamedTargets(group: Group, all: readonly TensorInfo[], named: ReadonlySet<string>): TensorInfo[] {
  return group.target ? [group.target] : all.filter((i) => !named.has(i.name));
}

async function* groupSamples(group: Group, inputs: readonly TensorInfo[], opt: InputOptions, named: ReadonlySet<string> = new Set()): AsyncIterable<Sample> {
  const targets = unnamedTargets(group, inputs, named);
  for (const spec of group.specs) yield* specSamples(spec, targets, opt);
}

async function* zipGroups(groups: Group[], inputs: readonly TensorInfo[], opt: InputOptions): AsyncIterable<Sample> {
  const named = new Set(groups.flatMap((g) => (g.target ? [g.target.name] : [])));
  const streams = groups.map((g) => ({ group: g, it: groupSamples(g, inputs, opt, named)[Symbol.asyncIterator](), count: 0, done: false, last: undefined as Sample | undefined }));
  const label = (g: Group) => (g.target ? `--input ${g.target.name}=...` : 'the unnamed --input');
  for (;;) {
    let fresh = 0;
    for (const s of streams) {
      if (s.done) continue;
      const n = await s.it.next();
      if (n.done) s.done = true;
      else { s.count++; s.last = n.value; fresh++; }
    }
    if (fresh === 0) return;
    const short = streams.find((s) => s.done && s.count > 1);
    if (short) {
      const longer = streams.find((s) => !s.done)!;
      throw new UserError(`${label(short.group)} gives ${short.count} samples but ${label(longer.group)} gives more: inputs with several samples must give the same number (one sample is repeated)`);
    }
    const parts = streams.map((s) => s.last!);
    const varying = streams.filter((s) => !s.group.constant).map((s) => (s.group.target ? `${s.group.target.name}=${s.last!.id}` : s.last!.id));
    yield {
      id: varying.length > 0 ? varying.join(' + ') : parts.map((p) => p.id).join(' + '),
      feeds: Object.assign({}, ...parts.map((p) => p.feeds)) as Record<string, Tensor>,
      image: parts.find((p) => p.image)?.image,
    };
  }
}

async function* specSamples(spec: InputSpec, targets: readonly TensorInfo[], opt: InputOptions): AsyncIterable<Sample> {
  const src = spec.source;
  const first = at(targets, 0);
  switch (src.kind) {
    case 'random': {
      const feeds: Record<string, Tensor> = {};
      for (const info of targets) feeds[info.name] = randomTensor(info.name, concreteShape(info, opt.imgsz, layoutOf(opt)), src.seed + inputIndex(info, targets, spec));
      yield { id: spec.text, feeds };
      return;
    }
    case 'const': {
      const feeds: Record<string, Tensor> = {};
      for (const info of targets) feeds[info.name] = constTensor(info, src.value, concreteShape(info, opt.imgsz, layoutOf(opt)));
      yield { id: spec.text, feeds };
      return;
    }
    case 'dump': yield* dumpSamples(src.file, targets); return;
    case 'npy': yield { id: spec.text, feeds: { [first.name]: checkedNpy(src.file, first) } }; return;
    case 'image': yield await imageSample(src.file, first, opt); return;
    case 'folder':
    case 'list': {
      const files = src.kind === 'folder' ? listFolder(src.dir, opt) : listFile(src.file);
      for (const f of files) yield f.toLowerCase().endsWith('.npy') ? { id: f, feeds: { [first.name]: checkedNpy(f, first) } } : await imageSample(f, first, opt);
    }
  }
}

/** random:SEED gives input k seed SEED+k (k its position among the model's inputs), as before multi-input specs. */
function inputIndex(info: TensorInfo, targets: readonly TensorInfo[], spec: InputSpec): number {
  return spec.name === undefined ? targets.indexOf(info) : 0;
}

const layoutOf = (opt: InputOptions) => (opt.preprocess ?? YOLO_PREPROCESS).layout;

const CONST_ARRAYS: Partial<Record<DType, new (n: number) => TypedArray>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
};

/** const:VALUE for one input, in the input's own dtype (float16 is not supported: pass an .npy). */
function constTensor(info: TensorInfo, value: number, shape: number[]): Tensor {
  const dtype: DType = info.dtype === 'unknown' ? 'float32' : info.dtype;
  const Ctor = CONST_ARRAYS[dtype];
  if (!Ctor) throw new UserError(`const inputs of type ${dtype} are not supported (model input ${info.name}); pass ${info.name}=x.npy`);
  if (!isFloatDType(dtype) && dtype !== 'bool' && !Number.isInteger(value)) throw new UserError(`const:${value} is not an integer, and model input ${info.name} is ${dtype}`);
  const data = new Ctor(numel(shape));
  const v = dtype === 'int64' || dtype === 'uint64' ? BigInt(value) : dtype === 'bool' ? Number(value !== 0) : value;
  (data as { fill(x: number | bigint): unknown }).fill(v);
  return { name: info.name, dtype, shape, data };
}

async function imageSample(file: string, info: TensorInfo, opt: InputOptions): Promise<Sample> {
  const pre = opt.preprocess ?? YOLO_PREPROCESS;
  const shape = concreteShape(info, opt.imgsz, pre.layout);
  if (shape.length !== 4) throw new UserError(`model input ${info.name} has shape ${shapeString(info.shape)}, not an image batch`, file);
  const nchw = pre.layout === 'nchw';
  const [h, w] = nchw ? [at(shape, 2), at(shape, 3)] : [at(shape, 1), at(shape, 2)];
  const cDim = info.shape[nchw ? 1 : 3];
  const c = typeof cDim === 'number' && cDim > 0 ? cDim : 3;
  if (c !== 1 && c !== 3) throw new UserError(`model input ${info.name} has ${c} channels (${pre.layout.toUpperCase()}); images give 1 (grayscale) or 3${c === 640 || h === 3 || w === 3 ? '; try --nhwc / --no-nhwc' : ''}`, file);
  checkRegularFile(file); // a FIFO named x.jpg would block the decoder forever
  const img = await loadImage(file, info.name, w, h, pre, c);
  return { id: file, feeds: { [info.name]: img.tensor }, image: { file, letterbox: img.letterbox } };
}

/** An array for `info`: same rank, same fixed dims (symbolic dims take any size), same dtype. */
function checkedNpy(file: string, info: TensorInfo): Tensor {
  const t = readNpy(file, info.name);
  const fits = t.shape.length === info.shape.length && info.shape.every((d, i) => typeof d !== 'number' || d <= 0 || d === t.shape[i]);
  if (!fits) throw new UserError(`array shape ${shapeString(t.shape)} does not fit model input ${info.name} ${shapeString(info.shape)}`, file);
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
