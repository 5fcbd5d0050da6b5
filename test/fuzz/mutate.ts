import fc from 'fast-check';
import { expect } from 'vitest';
import { UserError } from '../../src/errors.js';

/**
 * Parsers fed mutated bytes must either succeed or throw a UserError (one clear line for the CLI);
 * any other exception is a crash the user would see as "internal error".
 */
export function expectOnlyUserErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message).not.toMatch(/\n/);
  }
}
export async function expectOnlyUserErrorsAsync(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message).not.toMatch(/\n/);
  }
}

/** Byte-level mutations of a valid file: flips, overwrites, truncation, insertion, deletion. */
export function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = base.length;
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(n - 1), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(n - 1), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(n) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(n), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(n - 1), len: fc.integer({ min: 1, max: 32 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let b = Uint8Array.from(base);
    for (const e of edits) {
      const at = Math.min(e.at, b.length);
      if (e.kind === 'set' && at < b.length) b[at] = e.byte;
      else if (e.kind === 'flip' && at < b.length) b[at] = b[at]! ^ (1 << e.bit);
      else if (e.kind === 'cut') b = b.slice(0, at);
      else if (e.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...e.bytes, ...b.subarray(at)]);
      else if (e.kind === 'delete') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + e.len)]);
    }
    return b;
  });
}

