/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (CI logs and pipes get
 * nothing), redrawn at most every 100 ms.
 */
export interface Progress {
  update(done: number, label?: string): void;
  finish(): void;
}

export function progressBar(title: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const t0 = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, label: string) => {
    const elapsed = (Date.now() - t0) / 1000;
    const rate = done > 0 ? elapsed / done : 0;
    const width = 28;
    let bar = '';
    let tail = `${done} images ${elapsed.toFixed(0)}s`;
    if (total && total > 0) {
      const f = Math.min(1, done / total);
      bar = `[${'#'.repeat(Math.round(f * width)).padEnd(width, '.')}] `;
      const eta = rate * Math.max(0, total - done);
      tail = `${done}/${total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s`;
    }
    const cols = stream.columns ?? 100;
    const line = `${title} ${bar}${tail} ${label}`;
    stream.write(`\r${line.length > cols - 1 ? line.slice(0, cols - 1) : line.padEnd(cols - 1)}`);
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
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
