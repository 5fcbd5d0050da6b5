import * as fs from 'node:fs';

/**
 * Peak resident set of a process and everything it starts (the trt-diff launcher relaunches the
 * command with huge pages, src/cli/huge-pages.ts; `--workers` forks), shared by the tests and
 * bench/measure.ts. Call sample() every few ms while the process runs: it records each process's
 * VmHWM (the kernel's own high-water mark, so a process running longer than one interval cannot
 * hide its peak). peakKB() sums those peaks: exact for one process, an upper bound otherwise (the
 * launcher's ~45 MB included). NaN where /proc is not available.
 */
export class ProcessTreePeak {
  private readonly peaks = new Map<number, number>();
  constructor(private readonly root: number) {}

  sample(): void {
    for (const pid of processTree(this.root)) {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, Number(m[1])));
      } catch { /* exited, or no /proc */ }
    }
  }

  peakKB(): number {
    return this.peaks.size === 0 ? NaN : [...this.peaks.values()].reduce((a, b) => a + b, 0);
  }
}

/** `root` and its descendants (/proc/<pid>/task/<tid>/children, every thread of each). */
function processTree(root: number): number[] {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    try {
      for (const tid of fs.readdirSync(`/proc/${tree[i]}/task`)) {
        const kids = fs.readFileSync(`/proc/${tree[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) tree.push(...kids.split(' ').map(Number));
      }
    } catch { /* exited */ }
  }
  return tree;
}
