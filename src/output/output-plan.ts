import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, invalidParameter } from '../errors.js';
import { deferOutput, ensureOutputDir, resolveOutputPath } from './output-session.js';

/** One output a command will write: a file, or a folder and the files it will hold. */
export interface PlannedOutput {
  /** How the user named it, for messages: "--json", "--dump", "output file". */
  flag: string;
  path: string | undefined;
  /** A folder: these are the files written into it (checked like file outputs). */
  files?: readonly string[];
  /** Refuse an existing file (bisect --out without --force). */
  mustBeNew?: boolean;
  /**
   * Rename only when the whole command has succeeded, together with the other outputs (default).
   * False for files a command reads back while it runs (calibrators' caches and models).
   */
  atCommit?: boolean;
}

interface FileId { real: string; dev: number; ino: number }

function identify(p: string): FileId | undefined {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return undefined;
    return { real: fs.realpathSync(p), dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/**
 * Input files named by flag values (strings or arrays of them): the value itself, the file after `name=` (--input name=x.npy),
 * the file before `#runner` (compare a.json#trt). Only existing files count; folders, random:seed...
 * are not files an output could clobber.
 */
function inputFiles(values: readonly unknown[]): FileId[] {
  const out: FileId[] = [];
  for (const v of values.flat()) {
    if (typeof v !== 'string' || v === '' || v === '-') continue;
    const forms = new Set([v, v.slice(v.indexOf('=') + 1), v.replace(/#[^/#]*$/, '')]);
    for (const f of forms) { const id = identify(f); if (id) out.push(id); }
  }
  return out;
}

/**
 * Checks every output of a command before any work starts, and registers them with the output
 * session: never an input (resolved real paths and inode, so a symlink or hard link to an input is
 * caught), never two outputs on one path, never a folder where a file goes or the reverse, the
 * folder there and writable. A folder output (--dump) is created if missing, and removed again
 * if the command fails.
 * Returns the resolved target of each output, by flag.
 */
export function planOutputs(outputs: readonly PlannedOutput[], inputValues: readonly unknown[]): Map<string, string> {
  const inputs = inputFiles(inputValues);
  const claimed = new Map<string, string>();
  const resolved = new Map<string, string>();
  const files: { flag: string; file: string; target: string; o: PlannedOutput }[] = [];
  const folders: { flag: string; file: string; target: string }[] = [];
  for (const o of outputs) {
    if (o.path === undefined || o.path === '-') continue;
    if (o.path.trim() === '') throw invalidParameter(o.flag.replace(/^--/, ''), 'a path', o.path);
    const target = resolveOutputPath(o.path);
    resolved.set(o.flag, target);
    let st: fs.Stats | undefined;
    try { st = fs.statSync(target); } catch { /* new */ }
    if (o.files) {
      if (st && !st.isDirectory()) throw new UserError(`${o.flag} must be a folder, but this is a file`, o.path);
      folders.push({ flag: o.flag, file: o.path, target });
      for (const f of o.files) files.push({ flag: o.flag, file: path.join(o.path, f), target: path.join(target, f), o });
    } else {
      if (st?.isDirectory()) throw new UserError(`${o.flag} must be a file, but this is a folder`, o.path);
      files.push({ flag: o.flag, file: o.path, target, o });
    }
  }
  for (const f of files) {
    const other = claimed.get(f.target);
    if (other !== undefined) throw new UserError(`${other} and ${f.flag} would both write this file; give them different paths`, f.file);
    claimed.set(f.target, f.flag);
    const id = identify(f.target);
    if (id && inputs.some((i) => i.real === id.real || (i.dev === id.dev && i.ino === id.ino))) {
      throw new UserError(`${f.flag} would overwrite an input of this command; choose another path`, f.file);
    }
    if (id && f.o.mustBeNew) throw new UserError('file exists; pass --force to replace it', f.file);
  }
  // A file's folder must exist (a typo in it is caught here); a folder output is created with its parents.
  for (const f of files) {
    if (f.o.files) continue;
    const dir = path.dirname(f.target);
    if (!fs.existsSync(dir)) throw new UserError(`${f.flag}: folder ${path.dirname(f.file)} does not exist`, f.file);
  }
  const places = [...folders, ...files.map((f) => ({ ...f, target: path.dirname(f.target) }))];
  for (const f of places) {
    const existing = nearestExisting(f.target);
    if (!fs.statSync(existing).isDirectory()) throw new UserError(`${f.flag}: ${existing} is not a folder`, f.file);
    try { fs.accessSync(existing, fs.constants.W_OK); } catch { throw new UserError(`${f.flag}: folder ${existing} is not writable`, f.file); }
  }
  for (const f of places) ensureOutputDir(f.target, f.file);
  for (const f of files) if (f.o.atCommit !== false) deferOutput(f.target);
  return resolved;
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}
