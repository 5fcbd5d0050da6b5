import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { ProcessTreePeak } from '../test/helpers/process-tree.js';

/**
 * Runs a command as a child process and measures it the same way for every tool: wall time from
 * spawn to exit, and peak resident set of the child and every process under it (the trt-diff
 * launcher's relaunched command, `--workers` processes), sampled every 20 ms by ProcessTreePeak
 * (test/helpers/process-tree.ts). Python tools are measured exactly like node.
 */
export interface Measured {
  status: number | null;
  signal: string | null;
  wallS: number;
  peakRssMB: number;
  stdout: string;
  stderr: string;
}

export function measure(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const tree = new ProcessTreePeak(child.pid!);
    const sample = () => tree.sample();
    const poll = setInterval(sample, 20);
    child.on('error', (e) => { clearInterval(poll); reject(e); });
    child.on('close', (status, signal) => {
      clearInterval(poll);
      resolve({ status, signal, wallS: (performance.now() - t0) / 1000, peakRssMB: tree.peakKB() / 1024, stdout, stderr });
    });
  });
}

export function loadAverage(): string {
  try { return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '); } catch { return 'n/a'; }
}

/**
 * Baselines that hold every activation of every image run under an address-space limit
 * (BASELINE_MEM_GB, default 16 GiB): past it they fail with MemoryError, a result to report,
 * instead of growing until the kernel's OOM killer picks a victim on a shared 24 GB machine.
 */
export const BASELINE_MEM_GB = Number(process.env.BASELINE_MEM_GB ?? 16);

/** `cmd args` wrapped in prlimit with the baseline address-space limit (prlimit execs: same pid). */
export function underMemoryLimit(cmd: string, args: readonly string[]): [string, string[]] {
  return ['prlimit', [`--as=${BASELINE_MEM_GB * 2 ** 30}`, cmd, ...args]];
}

/** Why a limited baseline failed, in one line: out of memory under the limit, or its last stderr line. */
export function failureNote(stderr: string, status: number | null, signal: string | null, seconds: number): string {
  const oom = /MemoryError|std::bad_alloc|Failed to allocate/i.test(stderr) || signal === 'SIGKILL';
  return oom ? `out of memory under a ${BASELINE_MEM_GB} GiB limit after ${seconds.toFixed(0)} s` : `exit ${status ?? signal}: ${stderr.trim().split('\n').pop()}`;
}
