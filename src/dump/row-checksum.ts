import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE, zlib's) of one dump row: sample, name, dtype, shape and pair as UTF-8 with a 0 byte
 * after each, the shape as int32 little-endian, then the tensor's raw bytes. The writer stores one
 * per record batch in the footer's schema metadata (trtdiff.crc32, comma-separated hex), the reader
 * recomputes it after decoding, so a flipped byte anywhere in a row's values is caught. Anyone can
 * recompute it (Python: zlib.crc32 over the same bytes; goldens/robustness/dump_checksums.py).
 */
type Crc32 = (data: Uint8Array, value?: number) => number;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The same function in JS for Node < 20.15, which lacks zlib.crc32. */
function crc32js(data: Uint8Array, value = 0): number {
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;
/** zlib.crc32 where Node has it; an empty input leaves the running value as it is (Node 20's returns 0 for it). @internal */
export const crc32: Crc32 = (data, value = 0) => (data.length === 0 ? value >>> 0 : (native ?? crc32js)(data, value));

const utf8 = new TextEncoder();
const NUL = new Uint8Array(1);

export function rowChecksum(row: { sample: string; name: string; dtype: string; shape: readonly number[]; pair: string }, bytes: Uint8Array): number {
  let c = 0;
  for (const s of [row.sample, row.name, row.dtype, row.pair]) c = crc32(NUL, crc32(utf8.encode(s), c));
  c = crc32(new Uint8Array(Int32Array.from(row.shape).buffer), c);
  return crc32(bytes, c) >>> 0;
}

/** Metadata key (without the trtdiff. prefix) holding the checksums. */
export const CHECKSUM_KEY = 'crc32';

export function formatChecksums(sums: readonly number[]): string {
  return sums.map((c) => c.toString(16).padStart(8, '0')).join(',');
}

/** Checksums from metadata, or undefined when the value is not a list of 8-digit hex numbers. */
export function parseChecksums(text: string): Uint32Array | undefined {
  if (text === '') return new Uint32Array(0);
  if (!/^[0-9a-f]{8}(,[0-9a-f]{8})*$/.test(text)) return undefined;
  return Uint32Array.from(text.split(','), (h) => Number.parseInt(h, 16));
}
