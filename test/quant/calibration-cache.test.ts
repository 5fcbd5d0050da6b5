import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  formatCalibrationCache, hexToScale, parseCalibrationCache, readCalibrationCache, scaleToHex, trtVersionNumber, writeCalibrationCache,
} from '../../src/quant/calibration-cache.js';
import { UserError } from '../../src/errors.js';

const SAMPLE = [
  'TRT-100300-EntropyCalibration2',
  'images: 3c010a14',
  '/model.0/conv/Conv_output_0: 3d0b7086',
  'input_1:0: 3c010a14',
  'weird: name: with colons: 3e7d50ec',
  'never_seen: 0',
  'unbounded: 7f800000',
  '',
].join('\n');

describe('calibration cache', () => {
  it('encodes scales as the big-endian hex of their float32 bits', () => {
    expect(scaleToHex(1 / 127)).toBe('3c010204');
    expect(scaleToHex(1)).toBe('3f800000');
    expect(hexToScale('3f800000')).toBe(1);
    expect(hexToScale('7f800000')).toBe(Infinity);
    expect(hexToScale('0')).toBe(0);
  });

  it('round-trips byte-identically through a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-cache-'));
    const file = path.join(dir, 'a.cache');
    fs.writeFileSync(file, SAMPLE.replace('never_seen: 0', 'never_seen: 00000000'));
    const cache = readCalibrationCache(file);
    writeCalibrationCache(path.join(dir, 'b.cache'), cache);
    expect(fs.readFileSync(path.join(dir, 'b.cache'))).toEqual(fs.readFileSync(file));
  });

  it('splits names at the last ": " and keeps 0 and +Inf entries', () => {
    const c = parseCalibrationCache(SAMPLE.replace(/\n/g, '\r\n').replace('images', '\n\nimages'));
    expect(c.version).toBe('100300');
    expect(c.algorithm).toBe('EntropyCalibration2');
    expect([...c.scales.keys()]).toEqual(['images', '/model.0/conv/Conv_output_0', 'input_1:0', 'weird: name: with colons', 'never_seen', 'unbounded']);
    expect(c.scales.get('never_seen')).toBe(0);
    expect(c.scales.get('unbounded')).toBe(Infinity);
    expect(formatCalibrationCache(c)).toBe(SAMPLE.replace('never_seen: 0', 'never_seen: 00000000'));
  });

  it('rejects garbage with the file and line number', () => {
    const bad = (text: string) => () => parseCalibrationCache(text, 'x.cache');
    expect(bad('not a header\n')).toThrow(/^x\.cache: line 1: expected a header/);
    expect(bad('TRT-8601-MinMaxCalibration\na: 3c010204\nb 3c010204\n')).toThrow(/^x\.cache: line 3: expected "<tensor name>: <8 hex digits>"/);
    expect(bad('TRT-8601-MinMaxCalibration\n\na: 3c01020g\n')).toThrow(/^x\.cache: line 3: .* not a hex/);
    expect(bad('TRT-8601-MinMaxCalibration\na: 1\na: 2\n')).toThrow(/line 3: tensor "a" appears twice/);
    expect(bad('\n\n')).toThrow(/empty calibration cache/);
    expect(bad('')).toThrow(UserError);
  });

  it('normalises --trt-version', () => {
    expect(trtVersionNumber('10.3')).toBe('100300');
    expect(trtVersionNumber('10.3.0')).toBe('100300');
    expect(trtVersionNumber('8.6.1')).toBe('8601');
    expect(trtVersionNumber('8601')).toBe('8601');
    expect(() => trtVersionNumber('ten')).toThrow(UserError);
  });
});
