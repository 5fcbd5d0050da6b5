import * as os from 'node:os';
import { invalidParameter } from '../errors.js';

/**
 * Typed readers of parsed flag values, each refusing a bad value in one shape
 * ("Expected <what> for --<flag> but received <value>", exit 2). Numeric flags are declared
 * without a yargs type (see `numeric`), so that "abc" reaches these readers as "abc", not NaN.
 */
type Args = Record<string, unknown>;

/** yargs declaration fields of a numeric flag: a value is required; the readers below check it. */
export const numeric = { requiresArg: true, nargs: 1 } as const;

function num(a: Args, flag: string, what: string): number | undefined {
  const v = a[flag];
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw invalidParameter(flag, what, v);
  return n;
}

export interface Bounds { min?: number; max?: number; /** min itself refused */ above?: boolean }

function describe(kind: string, b: Bounds): string {
  if (b.min !== undefined && b.max !== undefined) return `${kind} ${b.above ? 'above' : 'from'} ${b.min} ${b.above ? 'and at most' : 'to'} ${b.max}`;
  if (b.min !== undefined) return `${kind} ${b.above ? 'above' : 'of at least'} ${b.min}`;
  return kind;
}

function inBounds(n: number, b: Bounds): boolean {
  return (b.min === undefined || (b.above ? n > b.min : n >= b.min)) && (b.max === undefined || n <= b.max);
}

/** A finite number within bounds, or undefined when the flag is absent. */
export function numberFlag(a: Args, flag: string, b: Bounds = {}): number | undefined {
  const what = describe('a number', b);
  const n = num(a, flag, what);
  if (n !== undefined && !inBounds(n, b)) throw invalidParameter(flag, what, a[flag]);
  return n;
}

/** An integer within bounds, or undefined when the flag is absent. */
export function intFlag(a: Args, flag: string, b: Bounds = {}): number | undefined {
  const what = describe('an integer', b);
  const n = num(a, flag, what);
  if (n !== undefined && (!Number.isInteger(n) || !inBounds(n, b))) throw invalidParameter(flag, what, a[flag]);
  return n;
}

/** A non-empty path (or `-` where `dash`), or undefined when absent. */
export function pathFlag(a: Args, flag: string, opt: { dash?: boolean } = {}): string | undefined {
  const v = a[flag];
  if (v === undefined) return undefined;
  const what = opt.dash ? 'a file path or - (stdout)' : 'a path';
  if (typeof v !== 'string' || v.trim() === '') throw invalidParameter(flag, what, Array.isArray(v) ? v.join(' ') : v);
  return v;
}

/** A comma-separated list of `count` (one of) finite numbers. */
export function numberListFlag(a: Args, flag: string, counts: readonly number[], b: Bounds = {}): number[] | undefined {
  const v = a[flag];
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  const what = `${counts.join(' or ')} comma-separated ${describe('numbers', b).replace(/^numbers /, 'numbers ')}`;
  if (!counts.includes(nums.length) || parts.some((p) => p === '') || nums.some((x) => !Number.isFinite(x) || !inBounds(x, b))) throw invalidParameter(flag, what, v);
  return nums;
}

/** The string values of a repeatable flag (yargs gives one value or an array), each non-empty. */
export function listFlag(a: Args, flag: string, what: string): string[] {
  const v = a[flag];
  const list = v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  for (const s of list) if (s.trim() === '') throw invalidParameter(flag, what, s);
  return list;
}

/**
 * --threads: ONNX Runtime intra-op threads, at most 4 per logical CPU. More only adds threads that
 * wait (each with its own stack and arena): 100000 ran the process to 5.4 GB.
 */
export const MAX_THREADS = 4 * Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
