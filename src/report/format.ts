/** Number formatting shared by every report, so the terminal, HTML and JUnit agree. */
export function fmtDb(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v.toFixed(1);
}

export function fmtNum(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function fmtCos(v: number): string {
  return Number.isNaN(v) ? 'n/a' : v.toFixed(5);
}

/** JSON.stringify replacer: non-finite numbers become the strings "inf", "-inf", "nan" (docs/metrics.md). */
export function jsonNumbers(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (typeof v === 'bigint') return Number(v);
  return v;
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export const ansi = {
  red: (s: string, on: boolean) => (on ? `\x1b[31m${s}\x1b[39m` : s),
  yellow: (s: string, on: boolean) => (on ? `\x1b[33m${s}\x1b[39m` : s),
  green: (s: string, on: boolean) => (on ? `\x1b[32m${s}\x1b[39m` : s),
  bold: (s: string, on: boolean) => (on ? `\x1b[1m${s}\x1b[22m` : s),
};
