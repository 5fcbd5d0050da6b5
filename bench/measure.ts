import * as fs from 'node:fs';
import { spawn } from 'node:child_process';

/**
 * Runs a command as a child process and measures it the same way for every tool: wall time from
 * spawn to exit, and peak resident set from the child's VmHWM (/proc/<pid>/status, sampled every
 * 20 ms; VmHWM is the kernel's own high-water mark, so sampling cannot miss the peak of a process
 * that runs longer than one interval). Python tools are measured exactly like node.
 */
export interface Measured {
  status: number | null;
  wallS: number;
  peakRssMB: number;
  stdout: string;
  stderr: string;
}

export function measure(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', peakKB = 0;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKB = Math.max(peakKB, Number(m[1]));
      } catch { /* exited */ }
    };
    const poll = setInterval(sample, 20);
    child.on('error', (e) => { clearInterval(poll); reject(e); });
    child.on('close', (status) => {
      clearInterval(poll);
      resolve({ status, wallS: (performance.now() - t0) / 1000, peakRssMB: peakKB / 1024, stdout, stderr });
    });
  });
}

export function loadAverage(): string {
  try { return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '); } catch { return 'n/a'; }
}
