import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/paths.js';
import { filesUnder } from '../helpers/cli.js';
import { planOutputs } from '../../src/output/output-plan.js';
import { PendingFile, beginOutputSession, commitOutputs, discardOutputs, stagedPath, writeFileAtomic } from '../../src/output/output-session.js';

/** The output policy in-process (src/output): planning refusals, all-or-nothing commit, discard. */
let dir: string;
const input = () => { const f = path.join(dir, 'model.onnx'); fs.writeFileSync(f, 'model bytes'); return f; };

beforeEach(() => { dir = tmpDir('outplan-'); });
afterEach(() => { discardOutputs(); });

describe('planOutputs refuses before any work', () => {
  it('an output on an input (same path)', () => {
    const m = input();
    expect(() => planOutputs([{ flag: '--json', path: m }], [m])).toThrow(/--json would overwrite an input/);
  });

  it('an output that is a symlink to an input', () => {
    const m = input();
    const link = path.join(dir, 'link.onnx');
    fs.symlinkSync(m, link);
    expect(() => planOutputs([{ flag: '--out', path: link }], [m])).toThrow(/would overwrite an input/);
  });

  it('an output in a symlinked folder that reaches an input', () => {
    const m = input();
    fs.symlinkSync(dir, path.join(dir, 'alias'));
    expect(() => planOutputs([{ flag: '--json', path: path.join(dir, 'alias', 'model.onnx') }], [m])).toThrow(/would overwrite an input/);
  });

  it('an output that is a hard link to an input', () => {
    const m = input();
    const hard = path.join(dir, 'hard.onnx');
    fs.linkSync(m, hard);
    expect(() => planOutputs([{ flag: '--json', path: hard }], [m])).toThrow(/would overwrite an input/);
  });

  it('an input given as name=file (--input x=a.npy) or file#runner (compare)', () => {
    const m = input();
    expect(() => planOutputs([{ flag: '--json', path: m }], [[`images=${m}`]])).toThrow(/would overwrite an input/);
    expect(() => planOutputs([{ flag: '--json', path: m }], [`${m}#trt-runner`])).toThrow(/would overwrite an input/);
  });

  it('a dump folder whose fp32.arrow is an input (--input d/fp32.arrow --dump d)', () => {
    const d = path.join(dir, 'd');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'fp32.arrow'), 'x');
    expect(() => planOutputs([{ flag: '--dump', path: d, files: ['fp32.arrow', 'int8.arrow'] }], [path.join(d, 'fp32.arrow')])).toThrow(/--dump would overwrite an input/);
  });

  it('two outputs on one path, also through a symlink', () => {
    const r = path.join(dir, 'r.out');
    expect(() => planOutputs([{ flag: '--json', path: r }, { flag: '--html', path: r }], [])).toThrow(/--json and --html would both write/);
    fs.symlinkSync(r, path.join(dir, 'r2.out'));
    expect(() => planOutputs([{ flag: '--json', path: r }, { flag: '--junit', path: path.join(dir, 'r2.out') }], [])).toThrow(/--json and --junit would both write/);
  });

  it('an empty path, a missing folder, a folder where a file goes, a file where a folder goes', () => {
    expect(() => planOutputs([{ flag: '--dump', path: '', files: [] }], [])).toThrow(/Expected a path for --dump but received nothing/);
    expect(() => planOutputs([{ flag: '--json', path: path.join(dir, 'nope', 'r.json') }], [])).toThrow(/folder .* does not exist/);
    expect(() => planOutputs([{ flag: '--json', path: dir }], [])).toThrow(/must be a file, but this is a folder/);
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, '');
    expect(() => planOutputs([{ flag: '--dump', path: f, files: [] }], [])).toThrow(/must be a folder, but this is a file/);
  });

  it('an existing file when it must be new (bisect --out without --force)', () => {
    const f = path.join(dir, 'fixed.onnx');
    fs.writeFileSync(f, 'old');
    expect(() => planOutputs([{ flag: '--out', path: f, mustBeNew: true }], [])).toThrow(/file exists; pass --force/);
    expect(() => planOutputs([{ flag: '--out', path: f }], [])).not.toThrow();
  });

  it('writes through a symlink land on its target, the link stays', () => {
    const target = path.join(dir, 'real.json');
    const link = path.join(dir, 'link.json');
    fs.symlinkSync(target, link);
    writeFileAtomic(link, '{"a":1}');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}');
  });
});

describe('output session: all or nothing', () => {
  it('planned outputs wait for commit, then land together; no temp file is left', () => {
    beginOutputSession();
    const a = path.join(dir, 'a.arrow'), b = path.join(dir, 'b.arrow');
    fs.writeFileSync(a, 'old a');
    fs.writeFileSync(b, 'old b');
    planOutputs([{ flag: '--dump', path: dir, files: ['a.arrow', 'b.arrow'] }], []);
    writeFileAtomic(a, 'new a');
    const pb = PendingFile.create(b);
    pb.write('new b');
    pb.finish();
    // Before commit: the previous pair is intact, the new content is readable where it waits.
    expect(fs.readFileSync(a, 'utf8')).toBe('old a');
    expect(fs.readFileSync(b, 'utf8')).toBe('old b');
    expect(fs.readFileSync(stagedPath(a), 'utf8')).toBe('new a');
    commitOutputs();
    expect(fs.readFileSync(a, 'utf8')).toBe('new a');
    expect(fs.readFileSync(b, 'utf8')).toBe('new b');
    expect(filesUnder(dir).sort()).toEqual(['a.arrow', 'b.arrow']);
  });

  it('discard removes temp files, files it created, and the folders it created; previous outputs stay', () => {
    const keep = path.join(dir, 'r.json');
    fs.writeFileSync(keep, 'previous report');
    beginOutputSession();
    const dump = path.join(dir, 'new', 'dumps');
    planOutputs([{ flag: '--json', path: keep }, { flag: '--dump', path: dump, files: ['fp32.arrow'] }], []);
    expect(fs.existsSync(dump)).toBe(true);
    writeFileAtomic(keep, 'new report');
    const half = PendingFile.create(path.join(dump, 'fp32.arrow'));
    half.write('half a dump');
    writeFileAtomic(path.join(dir, 'unplanned.txt'), 'written directly');
    discardOutputs();
    expect(fs.readFileSync(keep, 'utf8')).toBe('previous report');
    expect(filesUnder(dir)).toEqual(['r.json']);
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
  });

  it('a folder that was there before is kept on discard', () => {
    const dump = path.join(dir, 'dumps');
    fs.mkdirSync(dump);
    beginOutputSession();
    planOutputs([{ flag: '--dump', path: dump, files: ['fp32.arrow'] }], []);
    discardOutputs();
    expect(fs.existsSync(dump)).toBe(true);
  });
});
