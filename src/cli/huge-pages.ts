import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Transparent huge pages for the heap of commands that run models.
 *
 * A comparison's fixed cost is mostly first touch of fresh memory: ONNX Runtime's buffers and their
 * JavaScript copies, ~1 GB for YOLOv8n at 640, faulted in 4 KiB at a time (3.1–5 s per GiB on the
 * development VM, 1.4–1.9 s with 2 MiB pages: bench/first-touch.ts, bench/README.md §1). Most Linux
 * distributions ship THP in `madvise` mode, where only memory an allocator marks gets huge pages,
 * and glibc's allocator marks its memory only when the `glibc.malloc.hugetlb=1` tunable (glibc ≥
 * 2.35) is set — in the environment, before the process starts. So a model-running command on such
 * a system relaunches itself once with the tunable added; other systems (THP `always` or `never`,
 * not Linux, the tunable already set) run in place. TRTDIFF_HUGEPAGES=0 turns it off.
 *
 * The launcher forwards SIGINT/SIGTERM/SIGHUP to the command (which removes its temp files and exits
 * 128+n: output-session.ts) and exits with the command's status.
 */
const MODEL_COMMANDS = new Set(['run', 'demo', 'bisect', 'sensitivity', 'calibrate', 'calibrators', 'simulate', 'build', 'compare']);
const TUNABLE = 'glibc.malloc.hugetlb';
const THP_ENABLED = '/sys/kernel/mm/transparent_hugepage/enabled';

/** Why this process runs the command itself, or undefined when it should relaunch. @internal (tested on its own) */
export function hugePagesInPlaceReason(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, thpMode: string = readThpMode()): string | undefined {
  if (env.TRTDIFF_HUGEPAGES === '0') return 'turned off (TRTDIFF_HUGEPAGES=0)';
  if (env.GLIBC_TUNABLES?.includes(TUNABLE)) return 'tunable already set';
  if (!MODEL_COMMANDS.has(argv.find((a) => !a.startsWith('-')) ?? '')) return 'command runs no model';
  if (thpMode !== 'madvise') return `transparent huge pages: ${thpMode}`;
  return undefined;
}

/** The active mode in /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"). */
function readThpMode(): string {
  if (process.platform !== 'linux') return 'unavailable';
  try {
    return /\[(\w+)\]/.exec(fs.readFileSync(THP_ENABLED, 'utf8'))?.[1] ?? 'unavailable';
  } catch {
    return 'unavailable';
  }
}

/** Relaunches the CLI with the tunable when it should (see above); true when it did. */
export function relaunchWithHugePages(argv: readonly string[]): boolean {
  if (hugePagesInPlaceReason(argv) !== undefined) return false;
  const tunables = [process.env.GLIBC_TUNABLES, `${TUNABLE}=1`].filter(Boolean).join(':');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, forward(sig));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 1);
  });
  child.on('error', (e) => {
    process.stderr.write(`trt-diff: cannot relaunch with huge pages (${e.message}); set TRTDIFF_HUGEPAGES=0\n`);
    process.exitCode = 3;
  });
  return true;
}
