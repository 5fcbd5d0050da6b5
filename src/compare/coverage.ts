import { GateFailure } from '../errors.js';

/**
 * The coverage guard: every tensor pair the comparison asked a runner for is counted, and each one
 * that did not arrive (on either side, for any sample) is named. A backend that quietly returns
 * fewer tensors than asked (an engine that fused them, a debug tensor under an unmapped name)
 * therefore shows up in the report and the exit code instead of as a shorter table.
 */

export interface MissingPair {
  /** The FP32 (logical) tensor name of the pair. */
  name: string;
  /** Which runner did not return it. */
  side: 'fp32' | 'int8' | 'both';
  /** In how many samples it was missing. */
  samples: number;
}

export interface Coverage {
  /** Pairs asked for. */
  requested: number;
  missing: MissingPair[];
}

export class CoverageTracker {
  private readonly misses = new Map<string, { fp32: Set<string>; int8: Set<string> }>();

  constructor(private readonly requested: number) {}

  /** `wanted` pairs were asked of one side's runner for `sample`; those not in `got` are missed. */
  record(side: 'fp32' | 'int8', sample: string, wanted: Iterable<string>, got: ReadonlySet<string>): void {
    for (const name of wanted) {
      if (got.has(name)) continue;
      let m = this.misses.get(name);
      if (!m) this.misses.set(name, (m = { fp32: new Set(), int8: new Set() }));
      m[side].add(sample);
    }
  }

  /** Pairs asked for that a runner never declared (so they could not even be fetched). */
  undeclared(side: 'fp32' | 'int8', names: Iterable<string>): void {
    this.record(side, '*', names, new Set());
  }

  result(samples: number): Coverage {
    const missing: MissingPair[] = [...this.misses].map(([name, m]) => {
      const side = m.fp32.size > 0 && m.int8.size > 0 ? 'both' : m.fp32.size > 0 ? 'fp32' : 'int8';
      const count = (s: Set<string>) => (s.has('*') ? samples : s.size);
      return { name, side, samples: Math.max(count(m.fp32), count(m.int8)) };
    });
    return { requested: this.requested, missing };
  }
}

/** One headline line, or undefined when every requested pair arrived; `nameOf` makes names safe for a terminal. */
export function coverageLine(c: Coverage, nameOf: (s: string) => string = (s) => s, shown = 3): string | undefined {
  if (c.missing.length === 0) return undefined;
  const names = c.missing.slice(0, shown).map((m) => `${nameOf(m.name)} (${m.side === 'both' ? 'both sides' : m.side === 'fp32' ? 'FP32' : 'INT8'})`).join(', ');
  const more = c.missing.length > shown ? `, … (${c.missing.length - shown} more in --json)` : '';
  return `INCOMPLETE: ${c.missing.length} of ${c.requested} requested tensor pairs never arrived: ${names}${more}`;
}

/**
 * The name to fetch for a tensor from a runner that declares `declared`: the preferred name when
 * declared, else the first declared alternative (a Q/DQ pair's float tensor before quantization,
 * its logical name), else undefined: the runner cannot give it.
 */
export function declaredName(declared: ReadonlySet<string>, preferred: string, ...alternatives: (string | undefined)[]): string | undefined {
  return [preferred, ...alternatives].find((n): n is string => n !== undefined && declared.has(n));
}

/**
 * The run's verdict on coverage: a GateFailure (exit 1) naming each incomplete candidate unless the
 * user allowed partial results (--allow-partial).
 */
export function assertComplete(candidates: readonly { model: { path: string }; coverage: Coverage }[], allowPartial: boolean): void {
  if (allowPartial) return;
  const bad = candidates.filter((c) => c.coverage.missing.length > 0);
  if (bad.length === 0) return;
  throw new GateFailure(`${bad.map((c) => `${c.model.path}: ${c.coverage.missing.length} of ${c.coverage.requested} requested tensor pairs never arrived`).join('; ')} (--allow-partial accepts a partial comparison)`);
}
