import { UserError, at } from '../errors.js';
import { readInputText } from '../io/input-file.js';
import { writeFileAtomic } from '../output/output-session.js';

/**
 * TensorRT calibration cache ("calibration table"), the text file IInt8Calibrator::writeCalibrationCache
 * produces:
 *
 *   TRT-100300-EntropyCalibration2
 *   images: 3c010a14
 *   /model.0/conv/Conv_output_0: 3d0b7086
 *
 * The header is `TRT-<version>-<algorithm>`; each line maps a tensor name to the big-endian hex of the
 * float32 bits of its scale (amax / 127).
 */
export interface CalibrationCache {
  /** TensorRT version number as written in the header: 8601 (TRT 8.6.1), 100300 (TRT 10.3.0). */
  version: string;
  /** EntropyCalibration2, EntropyCalibration, MinMaxCalibration, LegacyCalibration, ... */
  algorithm: string;
  /** Tensor name → scale, in file order. */
  scales: Map<string, number>;
}

/** TRT 10.3 style; TRT 8.6.1 is "8601". */
export const DEFAULT_TRT_VERSION = '100300';

const HEADER = /^TRT-(\d+)-([A-Za-z0-9_]+)$/;
const HEX = /^[0-9a-fA-F]{1,8}$/;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits of `value` as 8 lowercase hex digits (the value is rounded to float32 first). */
export function scaleToHex(value: number): string {
  f32[0] = value;
  return at(u32, 0).toString(16).padStart(8, '0');
}

export function hexToScale(hex: string): number {
  u32[0] = Number.parseInt(hex, 16) >>> 0;
  return at(f32, 0);
}

/**
 * Normalise a --trt-version argument: "10.3" / "10.3.0" → "100300", "8.6.1" → "8601", digits kept as is.
 * TensorRT numbers versions major·1000 + minor·100 + patch before 10 and major·10000 + minor·100 + patch since.
 */
export function trtVersionNumber(v: string): string {
  const s = v.trim();
  if (/^\d+$/.test(s)) return s;
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new UserError(`--trt-version must look like 10.3, 8.6.1 or 100300, got "${v}"`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return String(major >= 10 ? major * 10000 + minor * 100 + patch : major * 1000 + minor * 100 + patch);
}

export function formatCalibrationCache(cache: CalibrationCache): string {
  const lines = [`TRT-${cache.version}-${cache.algorithm}`];
  for (const [name, scale] of cache.scales) lines.push(`${name}: ${scaleToHex(scale)}`);
  return lines.join('\n') + '\n';
}

export function writeCalibrationCache(file: string, cache: CalibrationCache): void {
  writeFileAtomic(file, formatCalibrationCache(cache));
}

/**
 * Parse a cache. Tolerates CRLF, blank lines, trailing spaces and tensor names that contain ':' or
 * ': ' (the entry is split at the last ': '). Entries 0 and 7f800000 (+Inf, TensorRT's "no range")
 * are kept as they are; callers decide what they mean.
 */
export function parseCalibrationCache(text: string, file = '<cache>'): CalibrationCache {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: RegExpExecArray | null = null;
  const scales = new Map<string, number>();
  for (const [idx, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `line ${idx + 1}`;
    if (!header) {
      header = HEADER.exec(line);
      if (!header) throw new UserError(`${where}: expected a header like TRT-100300-EntropyCalibration2, got "${clip(line)}"`, file);
      continue;
    }
    const sep = line.lastIndexOf(': ');
    if (sep <= 0) throw new UserError(`${where}: expected "<tensor name>: <8 hex digits>", got "${clip(line)}"`, file);
    const name = line.slice(0, sep);
    const hex = line.slice(sep + 2).trim();
    if (!HEX.test(hex)) throw new UserError(`${where}: "${clip(hex)}" is not a hex float32 scale`, file);
    if (scales.has(name)) throw new UserError(`${where}: tensor "${clip(name)}" appears twice`, file);
    scales.set(name, hexToScale(hex));
  }
  if (!header) throw new UserError('empty calibration cache (no TRT-<version>-<algorithm> header)', file);
  return { version: at(header, 1), algorithm: at(header, 2), scales };
}

/**
 * Refuses scales no calibrator writes: NaN and negative values (a corrupt or hand-edited cache).
 * 0 and +Inf are kept: TensorRT reads +Inf as "no range" and callers report both.
 */
export function checkScalesUsable(cache: CalibrationCache, file: string): void {
  for (const [name, scale] of cache.scales) {
    if (Number.isNaN(scale) || scale < 0) {
      throw new UserError(`tensor "${clip(name)}" has a ${Number.isNaN(scale) ? 'NaN' : 'negative'} scale (${scaleToHex(scale)}): the cache is corrupt`, file);
    }
  }
}

export function readCalibrationCache(file: string): CalibrationCache {
  return parseCalibrationCache(readInputText(file), file);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
