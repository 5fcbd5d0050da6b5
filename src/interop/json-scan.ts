import * as fs from 'node:fs';
import { UserError, errorMessage, at } from '../errors.js';
import { openRegularFile } from '../io/input-file.js';

/**
 * A JSON string left in the file: the byte range of its contents (between the quotes, escapes not
 * decoded). Polygraphy RunResults carry every tensor as one base64 string, so a results file is
 * mostly a few huge strings; leaving them on disk keeps the parsed structure a few kilobytes and
 * lets a reader decode one tensor at a time by positioned read.
 */
export class LazyString {
  constructor(readonly start: number, readonly end: number, readonly escaped: boolean) {}
  get byteLength(): number {
    return this.end - this.start;
  }
}

export type LazyJson = null | boolean | number | string | LazyString | LazyJson[] | { [key: string]: LazyJson };

const CHUNK = 1 << 20;

/** Byte-level buffered reader over a file descriptor with one byte of lookahead. */
class ByteReader {
  private buf = Buffer.allocUnsafe(CHUNK);
  private bufStart = 0;
  private bufLen = 0;
  pos = 0;
  constructor(readonly fd: number, readonly size: number) {}

  /** Bytes [start, end), from the buffer when they are still in it. */
  bytes(start: number, end: number): Buffer {
    if (start >= this.bufStart && end <= this.bufStart + this.bufLen) return Buffer.from(this.buf.subarray(start - this.bufStart, end - this.bufStart));
    return readRange(this.fd, start, end);
  }

  private fill(at: number): boolean {
    if (at >= this.size) return false;
    this.bufStart = at;
    this.bufLen = fs.readSync(this.fd, this.buf, 0, CHUNK, at);
    return this.bufLen > 0;
  }

  /** The byte at pos, or -1 at end of file. */
  peek(): number {
    const i = this.pos - this.bufStart;
    if (i >= 0 && i < this.bufLen) return at(this.buf, i);
    return this.fill(this.pos) ? at(this.buf, 0) : -1;
  }

  next(): number {
    const c = this.peek();
    if (c >= 0) this.pos++;
    return c;
  }

  /**
   * Advance past the closing quote of a string whose contents start at pos. Returns the end of the
   * contents and whether a backslash occurred. Uses Buffer.indexOf to jump between quotes, so a
   * 40 MB base64 string costs a few native scans rather than a JS loop per byte.
   */
  skipString(): { end: number; escaped: boolean } {
    let escaped = false;
    for (;;) {
      if (this.peek() < 0) throw new RangeError('unterminated string');
      const i = this.pos - this.bufStart;
      const view = this.buf.subarray(0, this.bufLen);
      const q = view.indexOf(0x22, i);
      const bs = view.indexOf(0x5c, i);
      if (bs >= 0 && (q < 0 || bs < q)) {
        // An escape: skip the backslash and the escaped byte, then continue scanning.
        escaped = true;
        this.pos = this.bufStart + bs + 1;
        this.next();
        continue;
      }
      if (q < 0) { this.pos = this.bufStart + this.bufLen; continue; }
      this.pos = this.bufStart + q + 1;
      return { end: this.bufStart + q, escaped };
    }
  }
}

/** Reads the raw bytes [start, end) of a file. */
export function readRange(fd: number, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < out.length) {
    const n = fs.readSync(fd, out, off, out.length - off, start + off);
    if (n <= 0) throw new RangeError(`file ends before byte ${start + off}`);
    off += n;
  }
  return out;
}

/**
 * Parse a JSON file into a LazyJson tree; strings longer than `inlineMax` bytes stay in the file
 * as LazyString. Accepts Python's NaN / Infinity / -Infinity (json.dumps writes them).
 */
export function scanJsonFile(file: string, inlineMax = 4096): { root: LazyJson; fd: number } {
  const { fd, size } = openRegularFile(file);
  const r = new ByteReader(fd, size);
  try {
    const root = parseValue(r, inlineMax);
    skipWs(r);
    if (r.peek() >= 0) throw new SyntaxError(`unexpected data after the JSON value at byte ${r.pos}`);
    return { root, fd };
  } catch (e) {
    fs.closeSync(fd);
    if (e instanceof UserError) throw e;
    throw new UserError(`not valid JSON (${errorMessage(e)})`, file);
  }
}

function skipWs(r: ByteReader): void {
  for (let c = r.peek(); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = r.peek()) r.pos++;
}

function expect(r: ByteReader, ch: string): void {
  const c = r.next();
  if (c !== ch.charCodeAt(0)) throw new SyntaxError(`expected '${ch}' at byte ${r.pos - 1}, found ${c < 0 ? 'end of file' : `'${String.fromCharCode(c)}'`}`);
}

/**
 * Bounds that keep a hostile file from costing more than its size: object keys (tensor and runner
 * names) are decoded into memory and printed, so they are limited; nesting is limited so that a
 * file of a million '[' fails with a message rather than a stack overflow.
 */
const MAX_KEY_BYTES = 4096;
const MAX_DEPTH = 64;

function parseValue(r: ByteReader, inlineMax: number, depth = 0): LazyJson {
  skipWs(r);
  const c = r.peek();
  if ((c === 0x7b || c === 0x5b) && depth >= MAX_DEPTH) throw new SyntaxError(`nested deeper than ${MAX_DEPTH} levels at byte ${r.pos}`);
  if (c === 0x7b) return parseObject(r, inlineMax, depth + 1);
  if (c === 0x5b) return parseArray(r, inlineMax, depth + 1);
  if (c === 0x22) return parseString(r, inlineMax);
  if (c < 0) throw new SyntaxError('unexpected end of file');
  return parseLiteral(r);
}

function parseObject(r: ByteReader, inlineMax: number, depth: number): { [key: string]: LazyJson } {
  expect(r, '{');
  const out: { [key: string]: LazyJson } = {};
  skipWs(r);
  if (r.peek() === 0x7d) { r.pos++; return out; }
  for (;;) {
    skipWs(r);
    const at = r.pos;
    const key = parseString(r, MAX_KEY_BYTES);
    if (typeof key !== 'string') throw new SyntaxError(`object key at byte ${at} is ${key.byteLength} bytes long, more than the ${MAX_KEY_BYTES} a name may have`);
    skipWs(r);
    expect(r, ':');
    out[key] = parseValue(r, inlineMax, depth);
    skipWs(r);
    const c = r.next();
    if (c === 0x7d) return out;
    if (c !== 0x2c) throw new SyntaxError(`expected ',' or '}' at byte ${r.pos - 1}`);
  }
}

function parseArray(r: ByteReader, inlineMax: number, depth: number): LazyJson[] {
  expect(r, '[');
  const out: LazyJson[] = [];
  skipWs(r);
  if (r.peek() === 0x5d) { r.pos++; return out; }
  for (;;) {
    out.push(parseValue(r, inlineMax, depth));
    skipWs(r);
    const c = r.next();
    if (c === 0x5d) return out;
    if (c !== 0x2c) throw new SyntaxError(`expected ',' or ']' at byte ${r.pos - 1}`);
  }
}

function parseString(r: ByteReader, inlineMax: number): string | LazyString {
  expect(r, '"');
  const start = r.pos;
  const { end, escaped } = r.skipString();
  if (end - start > inlineMax) return new LazyString(start, end, escaped);
  return decodeRaw(r.bytes(start, end), escaped);
}

/** Decode the raw bytes between the quotes of a JSON string. */
export function decodeRaw(raw: Buffer, escaped: boolean): string {
  if (!escaped) return raw.toString('utf8');
  return JSON.parse(`"${raw.toString('utf8')}"`) as string;
}

function parseLiteral(r: ByteReader): number | boolean | null {
  let s = '';
  for (let c = r.peek(); c >= 0 && /[-+0-9.eEa-zA-Z]/.test(String.fromCharCode(c)); c = r.peek()) {
    s += String.fromCharCode(c);
    r.pos++;
  }
  switch (s) {
    case 'true': return true;
    case 'false': return false;
    case 'null': return null;
    case 'NaN': return NaN;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
  }
  const v = Number(s);
  if (s === '' || Number.isNaN(v)) throw new SyntaxError(`unexpected ${s ? `'${s.slice(0, 20)}'` : 'character'} at byte ${r.pos}`);
  return v;
}
