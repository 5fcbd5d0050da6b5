import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, invalidParameter, at } from '../errors.js';
import { IMAGE_EXTENSIONS } from './image-loader.js';
import { checkRegularFile, ioProblem, readInputText } from '../io/input-file.js';

/**
 * One `--input` value: `[NAME=]SOURCE`. NAME is a model input; without it the source feeds the
 * model's first input that no other spec names (random and const feed every such input; a dump
 * feeds what it holds). SOURCE is one of:
 *   image file | folder (images and .npy files, sorted by name) | list.txt (one image or .npy path
 *   a line) | x.npy | dump.arrow (inputs of a previous run) | random[:SEED] | const:VALUE
 */
export type InputSource =
  | { kind: 'image'; file: string }
  | { kind: 'npy'; file: string }
  | { kind: 'folder'; dir: string }
  | { kind: 'list'; file: string }
  | { kind: 'dump'; file: string }
  | { kind: 'random'; seed: number }
  | { kind: 'const'; value: number };

export interface InputSpec {
  text: string;
  name?: string;
  source: InputSource;
}

export const INPUT_GRAMMAR = '[NAME=]SOURCE with SOURCE an image, folder, list.txt, x.npy, dump.arrow, random[:SEED] or const:VALUE';

export function parseInputSpec(text: string): InputSpec {
  if (text.trim() === '') throw invalidParameter('input', INPUT_GRAMMAR, text);
  const { name, rest } = splitName(text);
  if (text.startsWith('=') || rest === '') throw invalidParameter('input', INPUT_GRAMMAR, text);
  const source = parseSource(rest, text);
  if (name !== undefined && source.kind === 'dump') throw new UserError('a dump feeds whole samples: give it without NAME=', rest);
  return { text, name, source };
}

/** NAME=REST, or the whole text as REST (a path that exists is taken whole, even with "=" in it). */
export function splitName(text: string): { name?: string; rest: string } {
  const eq = fs.existsSync(text) ? -1 : text.indexOf('=');
  return eq > 0 ? { name: text.slice(0, eq), rest: text.slice(eq + 1) } : { rest: text };
}

function parseSource(s: string, text: string): InputSource {
  const random = /^random(?::(.*))?$/.exec(s);
  if (random) {
    const seed = random[1] === undefined ? 0 : Number(random[1]);
    if (random[1] === '' || !Number.isSafeInteger(seed) || seed < 0) throw invalidParameter('input', 'random or random:SEED with SEED a non-negative integer', text);
    return { kind: 'random', seed };
  }
  const cst = /^const:(.*)$/.exec(s);
  if (cst) {
    const value = Number(cst[1]);
    if (at(cst, 1).trim() === '' || !Number.isFinite(value)) throw invalidParameter('input', 'const:VALUE with VALUE a finite number', text);
    return { kind: 'const', value };
  }
  const ext = path.extname(s).toLowerCase();
  if (!fs.existsSync(s)) throw new UserError('input not found', s);
  if (isDirectory(s)) return { kind: 'folder', dir: s };
  if (ext === '.npy') return { kind: 'npy', file: s };
  if (ext === '.arrow' || ext === '.feather') return { kind: 'dump', file: s };
  if (ext === '.txt') return { kind: 'list', file: s };
  return { kind: 'image', file: s };
}

function isDirectory(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

/** Whether a source gives the same value for every sample (so it stays out of sample ids). */
export function isConstant(s: InputSource): boolean {
  return s.kind === 'random' || s.kind === 'const';
}

function isSampleFile(f: string): boolean {
  const ext = path.extname(f).toLowerCase();
  return ext === '.npy' || IMAGE_EXTENSIONS.includes(ext);
}

/**
 * The sample files of a folder (images and .npy arrays), sorted by name; nothing is decoded. Other
 * regular files are skipped with a warning, or refused with `strict`; subfolders are ignored.
 */
export function listFolder(dir: string, opt: { strict?: boolean; warn?: (line: string) => void } = {}): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(dir).sort().map((x) => path.join(dir, x))) {
    let st: fs.Stats;
    // An entry that cannot be followed (dangling or looping link), a FIFO, socket or device is refused by name.
    try { st = fs.statSync(f); } catch (e) { throw new UserError(`${ioProblem(e)}, in input folder`, f); }
    if (st.isDirectory()) continue;
    if (!st.isFile()) checkRegularFile(f);
    if (isSampleFile(f)) { out.push(f); continue; }
    if (opt.strict) throw new UserError('not an image or .npy file in the input folder (remove it or drop --strict-inputs)', f);
    opt.warn?.(`warning: ${f}: not an image or .npy, skipped`);
  }
  if (out.length === 0) throw new UserError('folder contains no images or .npy arrays', dir);
  return out;
}

/** The lines of a list.txt (paths relative to the list's folder); refuses an empty list. */
export function listFile(file: string): string[] {
  const dir = path.dirname(file);
  const lines = readInputText(file).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0) throw new UserError('image list is empty', file);
  return lines.map((l) => path.resolve(dir, l));
}

/**
 * How many samples `--input` specs give, when that is known without decoding (for progress bars):
 * specs of one input add up, different inputs zip (the longest counts). Undefined when unknown.
 */
export function countSamples(specs: readonly string[]): number | undefined {
  const perInput = new Map<string, number>();
  try {
    for (const text of specs) {
      const s = parseInputSpec(text);
      const n = s.source.kind === 'folder' ? listFolder(s.source.dir).length : s.source.kind === 'list' ? listFile(s.source.file).length : s.source.kind === 'dump' ? NaN : 1;
      perInput.set(s.name ?? '', (perInput.get(s.name ?? '') ?? 0) + n);
    }
  } catch {
    return undefined;
  }
  const n = Math.max(0, ...perInput.values());
  return Number.isNaN(n) ? undefined : n;
}
