import { UserError, at } from '../errors.js';
import { parseCalibrator, type CalibratorName } from '../quant/calibrators.js';

/**
 * `--sweep AXIS=V1,V2,...` (repeatable): the calibration settings a sweep varies. Every
 * combination of the values (cartesian product) is one calibration; axes not swept keep the value
 * of the ordinary calibrate flag (--batch, --max-images, --calibrator; no seed = file order).
 */
const SWEEP_AXES = ['batch', 'images', 'calibrator', 'seed'] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];

export interface Combination {
  batch: number;
  /** Requested calibration set size (the first `images` samples, in input order). */
  images: number;
  calibrator: CalibratorName;
  /** Seed of the shuffle of those samples' order; undefined: input order. */
  seed?: number;
}

export interface SweepAxisValues {
  axis: SweepAxis;
  values: (number | string)[];
}

export interface SweepPlan {
  /** In the order given; the first axis varies slowest. */
  axes: SweepAxisValues[];
  combinations: Combination[];
}

/** Parse the --sweep flags; `base` supplies the axes that are not swept. */
export function parseSweep(flags: readonly string[], base: Omit<Combination, 'seed'>): SweepPlan {
  if (flags.length === 0) throw new UserError('--sweep: give at least one AXIS=V1,V2 (axes: batch, images, calibrator, seed)');
  const axes: SweepAxisValues[] = [];
  for (const flag of flags) {
    const m = /^\s*([A-Za-z_-]+)\s*=(.*)$/.exec(flag);
    if (!m) throw new UserError(`--sweep "${flag}": expected AXIS=V1,V2,... (axes: ${SWEEP_AXES.join(', ')})`);
    const axis = at(m, 1).toLowerCase() as SweepAxis;
    if (!SWEEP_AXES.includes(axis)) throw new UserError(`--sweep "${flag}": unknown axis "${m[1]}" (axes: ${SWEEP_AXES.join(', ')})`);
    if (axes.some((a) => a.axis === axis)) throw new UserError(`--sweep "${flag}": axis ${axis} given twice; list all its values in one flag`);
    const items = at(m, 2).split(',').map((s) => s.trim());
    if (items.length === 0 || items.some((s) => s === '')) throw new UserError(`--sweep "${flag}": empty value in the list of ${axis} values`);
    const values = items.map((s) => parseValue(axis, s, flag));
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) throw new UserError(`--sweep "${flag}": ${axis}=${dup} listed twice`);
    axes.push({ axis, values });
  }
  return { axes, combinations: cartesian(axes, base) };
}

function parseValue(axis: SweepAxis, s: string, flag: string): number | string {
  if (axis === 'calibrator') {
    try {
      return parseCalibrator(s);
    } catch (e) {
      throw new UserError(`--sweep "${flag}": ${(e as Error).message}`);
    }
  }
  const min = axis === 'seed' ? 0 : 1;
  if (!/^\d+$/.test(s) || Number(s) < min || !Number.isSafeInteger(Number(s))) {
    throw new UserError(`--sweep "${flag}": ${axis} must be ${axis === 'seed' ? 'a non-negative' : 'a positive'} integer, got "${s}"`);
  }
  return Number(s);
}

/** Cartesian product, first axis outermost (slowest), last axis fastest. */
function cartesian(axes: readonly SweepAxisValues[], base: Omit<Combination, 'seed'>): Combination[] {
  let out: Combination[] = [{ ...base }];
  for (const { axis, values } of axes) {
    out = out.flatMap((c) => values.map((v) => ({ ...c, [axis]: v }) as Combination));
  }
  return out;
}

/** "batch=8 images=16 calibrator=minmax" over the swept axes only. */
export function combinationLabel(c: Combination, axes: readonly SweepAxisValues[]): string {
  return axes.map(({ axis }) => `${axis}=${c[axis]}`).join(' ');
}
