/**
 * An error caused by what the user gave us (a file, a flag). The CLI prints `message` as one line and
 * exits with code 2; no stack trace. `file` is named first in the message when given.
 */
export class UserError extends Error {
  readonly file: string | undefined;
  readonly exitCode = 2;
  constructor(message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'UserError';
    this.file = file;
  }
}

/** A CI gate or check that evaluated to "fail": exit code 1, not a crash. */
export class GateFailure extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'GateFailure';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The one shape of a refused flag value (sharp's invalidParameterError):
 * "Expected <what> for --<flag> but received <value>".
 */
export function invalidParameter(flag: string, expected: string, received: unknown): UserError {
  const shown = received === undefined || received === '' ? 'nothing' : typeof received === 'string' ? JSON.stringify(received) : String(received);
  return new UserError(`Expected ${expected} for --${flag} but received ${shown}`);
}

/**
 * A backend (ONNX Runtime, TensorRT) failed while running a model the user gave: one line with the
 * model and the backend's own words, exit code 3, never "internal error".
 */
export class BackendError extends Error {
  readonly exitCode = 3;
  constructor(message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'BackendError';
  }
}

/**
 * arr[i] where the caller knows it exists (a checked index under noUncheckedIndexedAccess): a
 * clear internal error, exit 3, if it does not, instead of `undefined` flowing on.
 */
export function at<T>(arr: ArrayLike<T>, i: number): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`internal: index ${i} outside the ${arr.length} element(s) there`);
  return v;
}

/** m.get(key) where the caller knows the key is there; a clear internal error if it is not. */
export function mustGet<K, V>(m: { get(key: K): V | undefined }, key: K): V {
  const v = m.get(key);
  if (v === undefined) throw new Error(`internal: no entry for ${String(key)}`);
  return v;
}
