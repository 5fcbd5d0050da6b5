import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { scaleToHex } from '../../src/quant/calibration-cache.js';
import { ArrowDumpWriter } from '../../src/dump/arrow-dump-writer.js';
import { ROOT, pythonWith, tmpDir } from '../helpers/paths.js';
import { expectOneLineUserError, filesUnder, runCli, type CliResult } from '../helpers/cli.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { affinePair, tinyImageModel } from './fixtures.js';
import { dumpBytes, externalModel, externalizeAll, f32Bytes, renameTensor, streamWithBodyLength, streamWithHugeCount, writeBytes } from './hostile-fixtures.js';

/**
 * The hostile-input corpus (issue 15): each test is named after what it attacks. Every refusal is
 * one stderr line naming the file and the problem, exit code 2, no stack trace, no "internal
 * error", nothing written; where a file outside the model folder is involved, its bytes must not
 * reach any output. Inputs are generated here; docs/robustness.md lists what each one gets.
 */
let dir: string;
let affine: ReturnType<typeof affinePair>;
const TWO_CONV = path.join(ROOT, 'goldens/quant/two_conv.onnx');
const run = (fp32: string, int8: string, ...rest: string[]) => runCli(['run', '--fp32', fp32, '--int8', int8, '-q', ...rest], { timeout: 60_000 });
const canMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

beforeAll(() => {
  dir = tmpDir('hostile-');
  affine = affinePair(dir);
});

describe('external data sandbox', () => {
  let models: string;
  beforeAll(() => {
    // The models live in <dir>/models; a sibling folder <dir>/models-private shares its name as a prefix.
    models = path.join(dir, 'models');
    fs.mkdirSync(models);
    fs.mkdirSync(path.join(dir, 'models-private'));
    fs.writeFileSync(path.join(dir, 'models-private', 'secret'), f32Bytes([12345]));
    fs.writeFileSync(path.join(models, 'w.bin'), f32Bytes([2, 3]));
    fs.symlinkSync('/etc/passwd', path.join(models, 'passwd.bin'));
    fs.symlinkSync(path.join(dir, 'models-private', 'secret'), path.join(models, 'secret.bin'));
  });
  const refused = (name: string, entries: Record<string, string>, problem: RegExp, named?: string) => {
    const m = externalModel(models, name, entries);
    const dump = path.join(dir, `dump-${name}`);
    expectOneLineUserError(run(m, affine.int8, '--input', affine.x, '--dump', dump), named ?? m, problem);
    expect(filesUnder(dump)).toEqual([]);
  };

  it('location symlinked to /etc/passwd is refused', () => refused('symlink.onnx', { location: 'passwd.bin', offset: '0', length: '4' }, /symlink that leads outside the model folder/));
  it('location symlinked into a sibling folder is refused', () => refused('symlink2.onnx', { location: 'secret.bin', offset: '0', length: '4' }, /symlink that leads outside/));
  it('sibling-prefix path ../<modeldir>-private/secret is refused', () => refused('sibling.onnx', { location: '../models-private/secret', offset: '0', length: '4' }, /points outside the model folder/));
  it('absolute location is refused', () => refused('absolute.onnx', { location: '/etc/passwd', offset: '0', length: '4' }, /absolute path/));
  it('location naming the model folder itself is refused', () => refused('dot.onnx', { location: '.', length: '4' }, /the model folder itself/));
  it('negative offset (would read Node buffer-pool memory) is refused', () => refused('negoff.onnx', { location: 'w.bin', offset: '-100', length: '4' }, /offset "-100" is not a byte count/));
  it('fractional offset is refused', () => refused('fracoff.onnx', { location: 'w.bin', offset: '1.5', length: '4' }, /offset "1\.5" is not a byte count/));
  it('offset past the end of the data file is refused', () => refused('bigoff.onnx', { location: 'w.bin', offset: '9999999', length: '4' }, /truncated \(needs bytes 9999999\.\.10000003, file has 8\)/, 'w.bin'));
  it('length that is not a number is refused', () => refused('badlen.onnx', { location: 'w.bin', offset: '0', length: 'abc' }, /length "abc" is not a byte count/));
  it('length disagreeing with the initializer dims is refused', () => refused('wronglen.onnx', { location: 'w.bin', offset: '0', length: '8' }, /holds 8 bytes, its dims and type need 4/));

  it('valid external data at an offset is read (the second float, 3)', () => {
    const m = externalModel(models, 'ok.onnx', { location: 'w.bin', offset: '4', length: '4' });
    const json = path.join(dir, 'ext-ok.json');
    const r = run(m, m, '--input', affine.x, '--json', json);
    expect(r.status, r.stderr).toBe(0);
    // y = Relu(3x + 1) on x = [0.1, -0.4, 1.3, 0.05]: both sides equal, every output element compared.
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.candidates[0].rows.find((x: { name: string }) => x.name === 'y').metrics.count).toBe(4);
  });

  it('simulate on an external-data model writes the weights inline (same bytes as from the inline model)', () => {
    // two_conv with every initializer moved to one external file beside it; the output goes elsewhere.
    const ext = path.join(dir, 'conv-ext');
    fs.mkdirSync(ext);
    const extModel = externalizeAll(loadModel(TWO_CONV).proto, ext, 'two_conv.onnx');
    const cache = writeBytes(path.join(dir, 'conv.cache'), `TRT-100300-EntropyCalibration2\nx: ${scaleToHex(0.02)}\nrelu1: ${scaleToHex(0.03)}\n`);
    const outExt = path.join(dir, 'out', 'sim_ext.onnx'), outInline = path.join(dir, 'out', 'sim_inline.onnx');
    fs.mkdirSync(path.join(dir, 'out'), { recursive: true }); // an output's folder must exist (src/output)
    for (const [model, out] of [[extModel, outExt], [TWO_CONV, outInline]] as const) {
      const r = runCli(['simulate', '--model', model, '--cache', cache, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(fs.readFileSync(outExt).equals(fs.readFileSync(outInline))).toBe(true);
  });
});

describe('special files and broken symlinks', () => {
  it.skipIf(!canMkfifo)('FIFO named x.jpg as --input is refused at once (it used to hang)', () => {
    const f = path.join(dir, 'x.jpg');
    spawnSync('mkfifo', [f]);
    const image = tinyImageModel(dir);
    expectOneLineUserError(run(image, image, '--input', f), f, /named pipe \(FIFO\)/);
  });
  it.skipIf(!canMkfifo)('FIFO named model.onnx, x.npy, dump.arrow, c.cache, e.json is refused by every reader', () => {
    const fifo = (name: string) => { const f = path.join(dir, name); spawnSync('mkfifo', [f]); return f; };
    const onnx = fifo('fifo.onnx'), npy = fifo('fifo.npy'), arrow = fifo('fifo.arrow'), cache = fifo('fifo.cache'), json = fifo('fifo.json');
    expectOneLineUserError(run(onnx, affine.int8, '--input', affine.x), onnx, /named pipe/);
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', npy), npy, /named pipe/);
    expectOneLineUserError(runCli(['inspect', arrow], { timeout: 30_000 }), arrow, /named pipe/);
    expectOneLineUserError(runCli(['compare', arrow, arrow, '-q'], { timeout: 30_000 }), arrow, /named pipe/);
    expectOneLineUserError(runCli(['lint', affine.fp32, '--cache', cache], { timeout: 30_000 }), cache, /named pipe/);
    expectOneLineUserError(runCli(['inspect', json], { timeout: 30_000 }), json, /named pipe/);
  });
  it('a device (/dev/zero) as the model is refused', () => {
    expectOneLineUserError(run('/dev/zero', affine.int8, '--input', affine.x), '/dev/zero', /is a device, expected a regular file/);
  });
  it('dangling symlink in an image folder', () => {
    const folder = path.join(dir, 'dangling');
    fs.mkdirSync(folder);
    fs.symlinkSync(path.join(dir, 'nowhere.jpg'), path.join(folder, 'a.jpg'));
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', folder), path.join(folder, 'a.jpg'), /file not found \(or a symlink to a missing file\), in input folder/);
  });
  it('looping symlinks in an image folder', () => {
    const folder = path.join(dir, 'loop');
    fs.mkdirSync(folder);
    fs.symlinkSync('b.jpg', path.join(folder, 'a.jpg'));
    fs.symlinkSync('a.jpg', path.join(folder, 'b.jpg'));
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', folder), path.join(folder, 'a.jpg'), /symlink loop/);
  });
});

describe('.npy headers', () => {
  const npy = (name: string, shape: string, body = 16) => {
    let h = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
    h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
    const b = Buffer.alloc(10 + h.length + body);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    b.writeUInt16LE(h.length, 8);
    b.write(h, 10, 'latin1');
    return writeBytes(path.join(dir, name), b);
  };
  it('negative dims whose product still fits the data', () => {
    const f = npy('neg.npy', '(-1, -4)');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', f), f, /shape dimension "-1" is not a non-negative integer/);
  });
  it('fractional dims', () => {
    const f = npy('frac.npy', '(1.5, 4)');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', f), f, /shape dimension "1\.5"/);
  });
  it('a dimension beyond 2^53', () => {
    const f = npy('huge.npy', '(100000000000000000000, 4)');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', f), f, /shape dimension/);
  });
});

describe('TensorRT engine inspector JSON', () => {
  const cases: [string, string, RegExp][] = [
    ['null.json', 'null', /the top level is not an object/],
    ['null_layer.json', '{"Layers": [null]}', /Layers\[0\] is not a layer object/],
    ['mixed.json', '{"Layers": ["a", {"Name": "b"}]}', /Layers\[1\] is not a layer name/],
    ['bindings.json', '{"Layers": [{"Name": "a"}], "Bindings": 3}', /"Bindings" is not a list of names/],
    ['outputs.json', '{"Layers": [{"Name": "a", "Outputs": 7}]}', /Layers\[0\]\.Outputs is not a list/],
    ['region.json', '{"Layers": [{"Name": "a", "Inputs": [{"Format/Datatype": 5}]}]}', /Layers\[0\]\.Inputs\[0\] is not/],
    ['name.json', '{"Layers": [{"Name": 5}]}', /Layers\[0\]\.Name is not a string/],
    ['text.json', '{"Layers": [', /not valid JSON/],
  ];
  for (const [name, text, problem] of cases) {
    it(`malformed engine JSON: ${name}`, () => {
      const f = writeBytes(path.join(dir, name), text);
      expectOneLineUserError(runCli(['inspect', f]), f, problem);
    });
  }
});

describe('calibration caches that would lint or simulate as nothing', () => {
  it('lint --cache with no name of the model does not say "0 errors"', () => {
    const c = writeBytes(path.join(dir, 'foreign.cache'), 'TRT-100300-EntropyCalibration2\nfoo: 3c010a14\nbar: 3c010a14\n');
    const r = runCli(['lint', affine.fp32, '--cache', c]);
    expectOneLineUserError(r, c, /none of the cache's 2 tensor names occur in the model/);
    expect(r.stdout).not.toMatch(/0 error/);
  });
  it('lint --cache with a header-only cache', () => {
    const c = writeBytes(path.join(dir, 'header.cache'), 'TRT-100300-EntropyCalibration2\n');
    expectOneLineUserError(runCli(['lint', affine.fp32, '--cache', c]), c, /header but no entries/);
  });
  it('lint --cache with some foreign names warns with their count', () => {
    const c = writeBytes(path.join(dir, 'partial.cache'), 'TRT-100300-EntropyCalibration2\nx: 3c010a14\nfoo: 3c010a14\n');
    const r = runCli(['lint', affine.fp32, '--cache', c]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*partial\.cache: 1 of 2 entries name no tensor of the model \(foo\)/);
  });
  for (const [hex, what] of [['7fc00000', 'NaN'], ['bf800000', 'negative'], ['ff800000', 'negative']] as const) {
    it(`simulate with a ${what} scale (${hex}) writes nothing`, () => {
      const c = writeBytes(path.join(dir, `s_${hex}.cache`), `TRT-100300-EntropyCalibration2\nx: ${hex}\nrelu1: 3c010a14\n`);
      const out = path.join(dir, `s_${hex}.onnx`);
      expectOneLineUserError(runCli(['simulate', '--model', TWO_CONV, '--cache', c, '--out', out]), c, new RegExp(`tensor "x" has a ${what} scale \\(${hex}\\)`));
      expect(fs.existsSync(out)).toBe(false);
    });
  }
  it('simulate with a zero scale leaves that tensor float and says so by name', () => {
    const c = writeBytes(path.join(dir, 's_zero.cache'), 'TRT-100300-EntropyCalibration2\nx: 00000000\nrelu1: 3c010a14\n');
    const out = path.join(dir, 's_zero.onnx');
    const r = runCli(['simulate', '--model', TWO_CONV, '--cache', c, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 activation\(s\) .* stay float: x \(scale is 0\)/);
    expect(r.stdout).toMatch(/1 activation Q\/DQ pairs/);
  });
});

describe('Arrow dumps that lie about their sizes', () => {
  it('IPC stream whose record batch claims 2^31-1 field nodes (used to run out of heap, exit 134)', () => {
    const f = writeBytes(path.join(dir, 'nodes.arrow'), streamWithHugeCount('nodes', 0x7fffffff));
    const r = runCli(['inspect', f], { timeout: 30_000 });
    expectOneLineUserError(r, f, /message 1 at byte \d+ claims more fields than its metadata can hold/);
  });
  it('IPC stream whose record batch claims 50 million buffers', () => {
    const f = writeBytes(path.join(dir, 'buffers.arrow'), streamWithHugeCount('buffers', 50_000_000));
    expectOneLineUserError(runCli(['compare', f, f, '-q'], { timeout: 30_000 }), f, /claims more fields than its metadata can hold/);
  });
  it('IPC stream whose message claims a 1 TiB body', () => {
    const f = writeBytes(path.join(dir, 'body.arrow'), streamWithBodyLength(1n << 40n));
    expectOneLineUserError(runCli(['inspect', f], { timeout: 30_000 }), f, /body of 1099511627776 bytes, past the end of the file/);
  });
  it('IPC stream cut in the middle of a message', () => {
    const b = dumpBytes('stream', 2);
    const f = writeBytes(path.join(dir, 'cut_stream.arrow'), b.subarray(0, b.length - 40));
    expectOneLineUserError(runCli(['inspect', f], { timeout: 30_000 }), f, /truncated or corrupt/);
  });
  it('a flipped byte in a tensor\'s data is caught by the batch checksum', () => {
    const f = path.join(dir, 'flip.arrow');
    const w = ArrowDumpWriter.open(f, { role: 'fp32', model: 'm.onnx', backend: 'test' });
    const values = Float32Array.from([1.5, -2.25, 3.125, 4.0625]);
    w.write({ name: 'x', dtype: 'float32', shape: [1, 4], data: values }, 's0');
    w.close();
    const b = fs.readFileSync(f);
    const at = b.indexOf(Buffer.from(values.buffer));
    expect(at).toBeGreaterThan(0);
    b[at + 6]! ^= 0x10;
    fs.writeFileSync(f, b);
    expectOneLineUserError(runCli(['inspect', f]), f, /tensor x \(record batch 0\) does not match its checksum/);
  });
  it('one record batch of 200 000 rows is listed row by row (used to overflow the stack)', () => {
    const f = writeBytes(path.join(dir, 'rows.arrow'), dumpBytes('file', 200_000));
    const r = runCli(['inspect', f], { timeout: 120_000 });
    expect(r.status, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stdout).toMatch(/\n {2}200000 tensors over 1 sample\(s\), 0\.8 MB\n$/);
    expect(r.stdout.split('\n').filter((l) => /^s0 +t\d+ /.test(l))).toHaveLength(200_000);
  });
});

const pyArrow = pythonWith('pyarrow');
describe.skipIf(!pyArrow.ok)(`dump checksums recomputed by Python (zlib.crc32 over pyarrow's rows)${pyArrow.ok ? '' : ` — skipped: ${pyArrow.reason}`}`, () => {
  it('every trtdiff.crc32 entry matches', () => {
    const d = path.join(dir, 'py-dump');
    const r = run(affine.fp32, affine.int8, '--input', affine.x, '--dump', d);
    expect(r.status, r.stderr).toBe(0);
    const py = spawnSync('python3', [path.join(ROOT, 'goldens/robustness/dump_checksums.py'), path.join(d, 'fp32.arrow'), path.join(d, 'int8.arrow')], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    expect(py.stdout).toMatch(/^fp32\.arrow: 4 of 4 batches match\nint8\.arrow: 4 of 4 batches match\n$/);
  });
});

describe('Polygraphy JSON that would print megabytes', () => {
  it('a 1 MB tensor name is refused in one short line', () => {
    const name = 'n'.repeat(1 << 20);
    const f = writeBytes(path.join(dir, 'longname.json'), `{"lst": [["r", [{"outputs": {"${name}": {"array": ""}}}]]]}`);
    const r = runCli(['inspect', f]);
    expectOneLineUserError(r, f, /object key at byte \d+ is 1048576 bytes long, more than the 4096 a name may have/);
    expect(r.stderr.length).toBeLessThan(4096);
  });
  it('100 000 nested lists are refused, not a stack overflow', () => {
    const f = writeBytes(path.join(dir, 'deep.json'), `{"lst": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expectOneLineUserError(runCli(['inspect', f]), f, /nested deeper than 64 levels/);
  });
});

/** Control characters a name may carry: OSC window title, clear screen, C1 CSI, newline forging a row, U+2028, bidi override. */
const HOSTILE = ['\u001b]0;pwned\u0007', '\u001b[2J', '\u009b31m', '\nFORGED ROW', '\u2028', '\u202e'];
function expectNoControl(r: CliResult, what: string): void {
  for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    // NO_COLOR is set by runCli: no escape sequence at all may appear, nor any C1 control or separator.
    const bad = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/.exec(text);
    if (bad) throw new Error(`${what}: ${stream} holds U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${bad.index}: ${JSON.stringify(text.slice(Math.max(0, bad.index - 40), bad.index + 40))}`);
    expect(text.split('\n').some((l) => l.startsWith('FORGED ROW')), `${what}: a name's newline started a line`).toBe(false);
  }
}

describe('terminal escapes in names', () => {
  let fp32: string, int8: string, dumps: string;
  const evil = `h${HOSTILE.join('')}`;
  beforeAll(() => {
    const { fp32: f, int8: q } = affineReluModels(0.05);
    fp32 = path.join(dir, 'evil_fp32.onnx');
    int8 = path.join(dir, 'evil_int8.onnx');
    saveModel(renameTensor(renameTensor(f, 'h', evil), 'a', `a${'\u001b[2J'.repeat(2)}${'x'.repeat(5000)}`), fp32);
    saveModel(renameTensor(renameTensor(q, 'h', evil), 'a', `a${'\u001b[2J'.repeat(2)}${'x'.repeat(5000)}`), int8);
    dumps = path.join(dir, 'evil-dumps');
  });

  it('run: table, summary and gate lines escape every control character; long names are shortened', () => {
    const junit = path.join(dir, 'evil.xml');
    const r = run(fp32, int8, '--input', affine.x, '--dump', dumps, '--fail-on', 'first-divergence', '--junit', junit);
    expect([0, 1]).toContain(r.status);
    expectNoControl(r, 'run');
    const full = runCli(['run', '--fp32', fp32, '--int8', int8, '--input', affine.x]);
    expectNoControl(full, 'run (table)');
    // Escaped in JSON's spelling, and cut in the middle to the tensor column's width.
    expect(full.stdout).toContain('│ h\\u001b]0;pwned\\u0007\\u…FORGED ROW\\u2028\\u202e │');
    expect(Math.max(...full.stdout.split('\n').map((l) => l.length))).toBeLessThan(400);
  });
  it('inspect (model and dump), compare and lint escape them too', () => {
    expectNoControl(runCli(['inspect', fp32]), 'inspect model');
    if (!fs.existsSync(path.join(dumps, 'fp32.arrow'))) expect(run(fp32, int8, '--input', affine.x, '--dump', dumps).status).toBeLessThan(2);
    const listing = runCli(['inspect', path.join(dumps, 'fp32.arrow')]);
    expect(listing.status, listing.stderr).toBe(0);
    expectNoControl(listing, 'inspect dump');
    expectNoControl(runCli(['compare', path.join(dumps, 'fp32.arrow'), path.join(dumps, 'int8.arrow')]), 'compare');
    expectNoControl(runCli(['lint', int8]), 'lint');
  });
  it('a file name with escapes in an error line', () => {
    const f = path.join(dir, 'bad\u001b]0;title\u0007\nname.onnx');
    fs.writeFileSync(f, 'not onnx');
    const r = run(f, affine.int8, '--input', affine.x);
    expect(r.status).toBe(2);
    expectNoControl(r, 'error line');
    expect(r.stderr).toMatch(/^trt-diff: .*bad\\u001b\]0;title\\u0007\\nname\.onnx: not a valid ONNX model/);
  });
});

describe('JUnit with XML-invalid characters in names', () => {
  /** XML 1.0 Char production: a file holding anything else is not well-formed, whatever the escaping. */
  const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  const names = ['t\uffff', 'lone\ud800surrogate', 'low\udc00first', 'nul\u0000bell\u0007', 'quote"<&>', 'ok \u{1f600} pair', 'nl\nand\ttab'];
  let xmlText: string;
  beforeAll(async () => {
    const { junitXml } = await import('../../src/report/junit.js');
    xmlText = junitXml(names.map((n, i) => ({ gate: `first-divergence ${n}`, candidate: `/m/${n}.onnx`, passed: i % 2 === 0, message: `first divergence at ${n}` })));
  });
  it('holds only XML 1.0 characters and keeps valid astral characters', () => {
    expect(XML_INVALID.exec(xmlText)).toBeNull();
    expect(xmlText).toContain('t\\uffff');
    expect(xmlText).toContain('lone\\ud800surrogate');
    expect(xmlText).toContain('ok \u{1f600} pair');
  });
  const py = pythonWith();
  it.skipIf(!py.ok)(`parses with Python's XML parser and gives back the names${py.ok ? '' : ` — skipped: ${py.reason}`}`, () => {
    const f = writeBytes(path.join(dir, 'names.xml'), xmlText);
    const r = spawnSync('python3', ['-c', 'import sys, json, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); print(json.dumps([c.get("name") for c in t.iter("testcase")]))', f], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as string[];
    // Forbidden characters come back as visible \uXXXX text; quotes, <&>, tab, newline and astral characters as themselves.
    const expected = ['t\\uffff', 'lone\\ud800surrogate', 'low\\udc00first', 'nul\\u0000bell\\u0007', 'quote"<&>', 'ok \u{1f600} pair', 'nl\nand\ttab'];
    expect(got).toEqual(expected.map((n) => `first-divergence ${n}`));
  });
});
