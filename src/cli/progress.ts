/** A one-line progress indicator on stderr, drawn only when stderr is a terminal. */
export function progressLine(label: string, total?: number, enabled = !!process.stderr.isTTY): { tick: (done: number, what: string) => void; done: () => void } {
  const t0 = Date.now();
  let drawn = false;
  return {
    tick(done, what) {
      if (!enabled) return;
      const rate = done / ((Date.now() - t0) / 1000);
      const frac = total ? ` ${done}/${total}` : ` ${done}`;
      const bar = total ? ` [${'#'.repeat(Math.round((20 * done) / total)).padEnd(20, '.')}]` : '';
      process.stderr.write(`\r\x1b[2K${label}${bar}${frac}  ${rate.toFixed(2)}/s  ${what.slice(-40)}`);
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}
