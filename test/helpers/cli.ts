import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { ROOT } from './paths.js';
import { ProcessTreePeak } from './process-tree.js';

/**
 * Runs the trt-diff CLI as a child process, the way users run it. When dist/ is at least as new as
 * every file under src/, the built `node dist/cli/main.js` runs; otherwise the sources run through
 * tsx (`node --import tsx src/cli/main.ts`), so tests never exercise a stale build and never race
 * each other rebuilding dist/ while other suites use it.
 */
const DIST_MAIN = path.join(ROOT, 'dist/cli/main.js');
const SRC_MAIN = path.join(ROOT, 'src/cli/main.ts');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

let cached: string[] | undefined;
/** argv prefix (after the node executable) that starts the CLI. */
export function cliEntry(): string[] {
  if (cached) return cached;
  const distFresh = fs.existsSync(DIST_MAIN) && fs.statSync(DIST_MAIN).mtimeMs >= newestMtime(path.join(ROOT, 'src'));
  cached = distFresh ? [DIST_MAIN] : ['--import', 'tsx', SRC_MAIN];
  return cached;
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, NO_COLOR: '1', TRTDIFF_DEBUG: '' };

export function runCli(args: readonly string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: ROOT, env: ENV, maxBuffer: 64 << 20, ...opts });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/**
 * Starts the CLI and sends `signal` once `ready(stderr so far, files)` says so (polled every 50 ms),
 * e.g. once a dump's temp file exists. Resolves when the child exits.
 */
export function runCliAndSignal(args: readonly string[], signal: NodeJS.Signals, ready: () => boolean, timeoutMs = 60_000): Promise<CliResult & { signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd: ROOT, env: ENV });
    let stdout = '', stderr = '', signalled = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const poll = setInterval(() => {
      if (!signalled && ready()) { signalled = true; child.kill(signal); }
    }, 50);
    const kill = setTimeout(() => { child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearInterval(poll); clearTimeout(kill); reject(e); });
    child.on('close', (status, sig) => {
      clearInterval(poll); clearTimeout(kill);
      resolve({ status, signal: sig, stdout, stderr, signalled });
    });
  });
}

/**
 * Runs the CLI and samples the peak resident set of it and the processes it starts every 20 ms
 * (ProcessTreePeak: the command itself runs in a relaunched child where huge pages apply).
 * peakRssMB is NaN where /proc is not available.
 */
export function runCliMeasured(args: readonly string[]): Promise<CliResult & { peakRssMB: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd: ROOT, env: ENV });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const tree = new ProcessTreePeak(child.pid!);
    const sample = () => tree.sample();
    const poll = setInterval(sample, 20);
    child.on('error', (e) => { clearInterval(poll); reject(e); });
    child.on('exit', () => sample());
    child.on('close', (status, signal) => {
      clearInterval(poll);
      resolve({ status, signal, stdout, stderr, peakRssMB: tree.peakKB() / 1024, wallMs: performance.now() - t0 });
    });
  });
}

/**
 * What every refusal of bad input must look like: exit code 2 and exactly one stderr line,
 * "trt-diff: <file>: <problem>", with no stack trace. Returns that line for further checks.
 */
export function expectOneLineUserError(r: CliResult, file: string, problem: RegExp): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim().length > 0 && !l.startsWith('warning:'));
  const describe = `status ${r.status}, stderr:\n${r.stderr}`;
  if (r.status !== 2) throw new Error(`expected exit code 2, got ${describe}`);
  if (lines.length !== 1) throw new Error(`expected one error line, got ${lines.length}: ${describe}`);
  const line = lines[0]!;
  if (/^\s+at\s|internal error/.test(r.stderr)) throw new Error(`stack trace or internal error printed: ${describe}`);
  if (!line.startsWith('trt-diff: ')) throw new Error(`error line lacks the trt-diff: prefix: ${line}`);
  if (!line.includes(file)) throw new Error(`error line does not name ${file}: ${line}`);
  if (!problem.test(line)) throw new Error(`error line does not say ${problem}: ${line}`);
  return line;
}

/** Every file under `dir` (recursively), relative names; for "no partial output left behind" checks. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p).map((f) => path.join(e.name, f)));
    else out.push(e.name);
  }
  return out.sort();
}
