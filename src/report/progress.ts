/**
 * The one progress indicator: a line on stderr, drawn only when stderr is a terminal (CI logs, pipes
 * and --quiet get nothing), redrawn at most every 100 ms, cleared when finished so that the report
 * that follows starts on a clean line.
 */
export interface Progress {
  update(done: number, label?: string): void;
  finish(): void;
}

export function progressBar(title: string, total?: number, enabled = !!process.stderr.isTTY, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return { update() {}, finish() {} };
  const t0 = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, label: string) => {
    const elapsed = (Date.now() - t0) / 1000;
    let bar = '';
    let tail = `${done} ${elapsed.toFixed(0)}s`;
    if (total && total > 0) {
      const width = 28;
      bar = `[${'#'.repeat(Math.round(Math.min(1, done / total) * width)).padEnd(width, '.')}] `;
      const eta = done > 0 ? (elapsed / done) * Math.max(0, total - done) : 0;
      tail = `${done}/${total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s`;
    }
    const cols = stream.columns ?? 100;
    const line = `${title} ${bar}${tail} ${label}`;
    stream.write(`\r\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 1) : line}`);
    drawn = true;
  };
  return {
    update(done, label = '') {
      const now = Date.now();
      if (now - last < 100 && !(total && done >= total)) return;
      last = now;
      draw(done, label);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
