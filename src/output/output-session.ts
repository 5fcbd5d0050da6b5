import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError, errorMessage } from '../errors.js';

/**
 * Every file trt-diff writes goes through here: a temp file in the output's own folder, renamed into
 * place when complete. Within a CLI command (an output session, see main.ts) the renames of the
 * planned outputs (output-plan.ts) wait until the command has succeeded and then happen together,
 * so the dumps and reports of one run land all or nothing; on an error or a signal (SIGINT, SIGTERM,
 * SIGHUP) every temp file, scratch folder and folder the command created is removed and the
 * previous outputs stay as they were. Outside a session (library use) a file is renamed as soon as
 * it is complete.
 */

/** The target a write to `file` lands on: symlinks (of the file and its folders) resolved. */
export function resolveOutputPath(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch { /* does not exist (or a dangling link): resolve the folder, keep the name */ }
  let st: fs.Stats | undefined;
  try { st = fs.lstatSync(abs); } catch { /* absent */ }
  if (st?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(abs), fs.readlinkSync(abs));
    if (target === abs) throw new UserError('symbolic link loops', file);
    return resolveOutputPath(target);
  }
  const dir = path.dirname(abs);
  return dir === abs ? abs : path.join(resolveOutputPath(dir), path.basename(abs));
}

interface Staged {
  file: string;
  target: string;
  tmp: string;
}

class OutputSession {
  /** Resolved paths of the planned outputs whose renames wait for commit(). */
  readonly deferred = new Set<string>();
  /** Temp files being written or waiting for commit(). */
  readonly temps = new Set<string>();
  readonly staged = new Map<string, Staged>();
  /** Files written directly during the session that did not exist before (removed on discard). */
  readonly created: string[] = [];
  readonly createdDirs: string[] = [];
  readonly scratch = new Set<string>();
}

let session: OutputSession | undefined;
/** Temp files and scratch folders of writes outside a session, removed on a signal. */
const looseTemps = new Set<string>();
const looseScratch = new Set<string>();
let signalsHooked = false;

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of SIGNALS) {
    const n = os.constants.signals[sig];
    process.on(sig, () => {
      discardOutputs();
      process.exit(128 + n);
    });
  }
}

/** Starts the output session of a CLI command (main.ts). */
export function beginOutputSession(): void {
  hookSignals();
  session = new OutputSession();
}

/** Registers planned outputs (resolved paths) whose renames wait for commitOutputs(). */
export function deferOutput(target: string): void {
  session?.deferred.add(target);
}

/** Records a folder created for an output, removed again by discardOutputs() when left empty. */
function recordCreatedDir(dir: string): void {
  session?.createdDirs.push(dir);
}

/** Makes `dir` and any missing parents; records the ones created. */
export function ensureOutputDir(dir: string, file = dir): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  try {
    for (const d of missing) { fs.mkdirSync(d); recordCreatedDir(d); }
  } catch (e) {
    throw new UserError(`cannot create folder (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, file);
  }
}

/**
 * A scratch folder, removed when the command ends whatever happens: hidden beside `near` (an output
 * path, so nothing lands in the system temp folder), or in the system temp folder without one.
 */
export function scratchDir(near?: string, tag = 'scratch'): string {
  let dir: string;
  try {
    if (near) {
      const t = resolveOutputPath(near);
      dir = path.join(path.dirname(t), `.${path.basename(t)}.${process.pid}.${tag}`);
      fs.mkdirSync(dir);
    } else {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `trt-diff-${tag}-`));
    }
  } catch (e) {
    throw new UserError(`cannot create a scratch folder (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, near);
  }
  hookSignals();
  (session?.scratch ?? looseScratch).add(dir);
  return dir;
}

/** Removes a scratch folder now (it is also removed at the end of the command). */
export function removeScratch(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  session?.scratch.delete(dir);
  looseScratch.delete(dir);
}

/**
 * Where the complete content of `file` is before commit: its temp file while the rename waits,
 * else the file itself (so a command can read back what it wrote earlier in the same run).
 */
export function stagedPath(file: string): string {
  return session?.staged.get(resolveOutputPath(file))?.tmp ?? file;
}

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? errorMessage(e);
}

/**
 * The one atomic writer: `<folder>/.<name>.<pid>.partial`, written through write(), made durable
 * and renamed by finish() (or at commit, for a planned output in a session), removed by abort().
 */
export class PendingFile {
  private fd: number | undefined;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  bytes = 0;

  private constructor(readonly file: string, readonly target: string, readonly tmp: string, fd: number) {
    this.fd = fd;
  }

  static create(file: string): PendingFile {
    const target = resolveOutputPath(file);
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
    ensureOutputDir(path.dirname(target), file);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new UserError('is a folder, not a file', file);
    let fd: number;
    try {
      fd = fs.openSync(tmp, 'w');
    } catch (e) {
      throw new UserError(`cannot write (${codeOf(e)})`, file);
    }
    hookSignals();
    (session?.temps ?? looseTemps).add(tmp);
    return new PendingFile(file, target, tmp, fd);
  }

  write(data: Uint8Array | string): void {
    if (this.fd === undefined) throw new Error(`write after finish/abort: ${this.file}`);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      let off = 0;
      while (off < buf.byteLength) off += fs.writeSync(this.fd, buf, off, buf.byteLength - off);
    } catch (e) {
      this.abort();
      const code = codeOf(e);
      throw new UserError(code === 'ENOSPC' ? 'disk full while writing; partial file removed' : `write failed (${code}); partial file removed`, this.file);
    }
    this.bytes += buf.byteLength;
  }

  /** Complete: flush to disk and rename into place (in a session, a planned output waits for commit). */
  finish(): void {
    if (this.state !== 'open') return;
    try {
      fs.fsyncSync(this.fd!);
      fs.closeSync(this.fd!);
      this.fd = undefined;
      if (session?.deferred.has(this.target)) {
        session.staged.set(this.target, { file: this.file, target: this.target, tmp: this.tmp });
      } else {
        const existed = fs.existsSync(this.target);
        fs.renameSync(this.tmp, this.target);
        this.forget();
        if (!existed) session?.created.push(this.target);
      }
    } catch (e) {
      this.abort();
      const code = codeOf(e);
      throw new UserError(code === 'ENOSPC' ? 'disk full while writing; partial file removed' : `cannot finish (${code}); partial file removed`, this.file);
    }
    this.state = 'finished';
  }

  abort(): void {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    if (this.fd !== undefined) { try { fs.closeSync(this.fd); } catch { /* closed */ } this.fd = undefined; }
    fs.rmSync(this.tmp, { force: true });
    session?.staged.delete(this.target);
    this.forget();
  }

  private forget(): void {
    session?.temps.delete(this.tmp);
    looseTemps.delete(this.tmp);
  }
}

/** Writes a whole file atomically (see PendingFile). */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const f = PendingFile.create(file);
  f.write(data);
  f.finish();
}

/**
 * Renames every staged output into place, all or nothing: existing targets are first moved aside
 * and put back if any rename fails. Then removes the scratch folders. Ends the session.
 */
export function commitOutputs(): void {
  const s = session;
  if (!s) return;
  const staged = [...s.staged.values()];
  const asides: { target: string; aside: string }[] = [];
  const landed: string[] = [];
  let current: Staged | undefined;
  try {
    for (const st of staged) {
      current = st;
      if (!fs.existsSync(st.target)) continue;
      const aside = path.join(path.dirname(st.target), `.${path.basename(st.target)}.${process.pid}.previous`);
      fs.renameSync(st.target, aside);
      asides.push({ target: st.target, aside });
    }
    for (const st of staged) {
      current = st;
      fs.renameSync(st.tmp, st.target);
      s.temps.delete(st.tmp);
      landed.push(st.target);
    }
  } catch (e) {
    for (const t of landed) fs.rmSync(t, { force: true });
    for (const a of asides.reverse()) { try { fs.renameSync(a.aside, a.target); } catch { /* left as .previous */ } }
    discardOutputs();
    throw new UserError(`cannot write (${codeOf(e)}); no output of this run was written`, current?.file);
  }
  for (const a of asides) fs.rmSync(a.aside, { force: true });
  s.staged.clear();
  for (const d of s.scratch) fs.rmSync(d, { recursive: true, force: true });
  session = undefined;
}

/**
 * Removes everything the session wrote: temp files, scratch folders, files it created, and the
 * folders it created once empty. Previous outputs are untouched. Ends the session.
 */
export function discardOutputs(): void {
  const s = session;
  session = undefined;
  const rm = (f: string, opt: fs.RmOptions = {}) => { try { fs.rmSync(f, { force: true, ...opt }); } catch { /* best effort */ } };
  for (const f of looseTemps) rm(f);
  for (const d of looseScratch) rm(d, { recursive: true });
  looseTemps.clear();
  looseScratch.clear();
  if (!s) return;
  for (const f of s.temps) rm(f);
  for (const f of s.created) rm(f);
  for (const d of s.scratch) rm(d, { recursive: true });
  for (const d of [...s.createdDirs].reverse()) { try { fs.rmdirSync(d); } catch { /* not empty or gone */ } }
}
