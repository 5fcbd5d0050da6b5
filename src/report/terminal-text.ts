/**
 * Names read from files (tensor, node, runner, file names) reach the terminal: a name holding an
 * ANSI/OSC escape could clear the screen or set the window title, a newline or U+2028 could forge a
 * table row. `termText` is the one escaping function for such names; `guardTerminalStreams` is the
 * backstop on stdout/stderr for whatever output a renderer forgot to escape.
 *
 * Escapes use JSON's spelling (\n, \r, \t, \uXXXX), so text escaped inside `--json -` output is
 * still valid JSON meaning the same string. A backslash is not escaped (Windows paths stay legible).
 */

/**
 * C0 controls, DEL, C1 controls (0x9B is an 8-bit CSI), line/paragraph separators, bidi
 * embeddings/overrides/isolates and marks (they reorder what is shown), and lone surrogates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `s` with every control or format character escaped: safe to print as one line. */
export function termText(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/**
 * `s` shortened to at most `max` characters by cutting its middle ("/model.22/cv3…/Conv_output_0"):
 * a tensor name's start (block) and end (op, output index) are what tell names apart.
 * @internal
 */
export function shortName(s: string, max = 80): string {
  const cps = [...s];
  if (cps.length <= max) return s;
  const tail = Math.floor((max - 1) / 2);
  return `${cps.slice(0, max - 1 - tail).join('')}…${cps.slice(cps.length - tail).join('')}`;
}

/** A name as a table cell or message part: escaped, then shortened. */
export function termName(s: string, max = 80): string {
  return shortName(termText(s), max);
}

/**
 * What the backstop lets through: newline, tab, carriage return (progress line), and the escape
 * sequences trt-diff itself writes (SGR colours "ESC[…m", erase line "ESC[2K"). Every other control
 * character, including ESC starting anything else (OSC title, cursor moves, clear screen), is escaped.
 */
const STREAM_UNSAFE = /\u001b\[[0-9;]{0,12}m|\u001b\[2K|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function termSafeOutput(text: string): string {
  return text.replace(STREAM_UNSAFE, (m) => (m.length > 1 ? m : escapeChar(m)));
}

let guarded = false;
/** Routes every string written to process.stdout / process.stderr through termSafeOutput (once per process). */
export function guardTerminalStreams(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? termSafeOutput(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}

/**
 * Lines built by a renderer, each of which may embed names: every line escaped on its own (so a
 * newline inside a name cannot start a line of its own) and shortened to `max` characters.
 */
export function termLines(lines: readonly string[], max = 1000): string {
  return lines.map((l) => termName(l, max)).join('\n');
}
