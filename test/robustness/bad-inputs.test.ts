import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, YOLO, hasShared, pythonWith, tmpDir } from '../helpers/paths.js';
import { cliEntry, expectOneLineUserError, filesUnder, runCli, runCliAndSignal } from '../helpers/cli.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { affinePair, chainPair, disjointModel, missingExternalDataModel, nanInfPair, tinyImageModel, wideAffineModel } from './fixtures.js';

/**
 * Every bad input the CLI may meet, one test each: the CLI must answer with exit code 2 and one
 * stderr line "trt-diff: <file>: <problem>" (no stack trace), and leave no partial output file.
 */
let dir: string;
let affine: ReturnType<typeof affinePair>;
const run = (fp32: string, int8: string, ...rest: string[]) => runCli(['run', '--fp32', fp32, '--int8', int8, '-q', ...rest]);

beforeAll(() => {
  dir = tmpDir('robust-');
  affine = affinePair(dir);
});

describe('bad ONNX models', () => {
  it('empty .onnx file', () => {
    const f = path.join(dir, 'empty.onnx');
    fs.writeFileSync(f, '');
    expectOneLineUserError(run(f, affine.int8, '--input', affine.x), f, /empty/);
  });

  it('corrupt .onnx (text, not protobuf)', () => {
    const f = path.join(dir, 'garbage.onnx');
    fs.writeFileSync(f, 'this is not a protobuf, just text\n'.repeat(20));
    expectOneLineUserError(run(affine.fp32, f, '--input', affine.x), f, /not a valid ONNX model/);
  });

  it('truncated .onnx (last bytes cut)', () => {
    const f = path.join(dir, 'truncated.onnx');
    const bytes = fs.readFileSync(affine.fp32);
    fs.writeFileSync(f, bytes.subarray(0, bytes.length - 7));
    expectOneLineUserError(run(f, affine.int8, '--input', affine.x), f, /truncated|not a valid ONNX/);
  });

  it.skipIf(!hasShared)('truncated YOLOv8n (half the file)', () => {
    const f = path.join(dir, 'yolo_half.onnx');
    const bytes = fs.readFileSync(YOLO.fp32);
    fs.writeFileSync(f, bytes.subarray(0, bytes.length >> 1));
    expectOneLineUserError(run(f, YOLO.entropy, '--input', 'random:0'), f, /truncated|not a valid ONNX/);
  });

  it('missing .onnx file', () => {
    const f = path.join(dir, 'nope.onnx');
    expectOneLineUserError(run(f, affine.int8, '--input', affine.x), f, /not found/);
  });

  it('ONNX with its external data file missing', () => {
    const { model, dataFile } = missingExternalDataModel(dir);
    expectOneLineUserError(run(model, affine.int8, '--input', affine.x), path.basename(dataFile), /external data .* missing/);
  });

  it('two models with no tensor in common', () => {
    const other = disjointModel(dir);
    expectOneLineUserError(run(affine.fp32, other, '--input', affine.x), other, /no tensor in common/);
  });

  it('models whose input shapes differ', () => {
    const wide = wideAffineModel(dir);
    expectOneLineUserError(run(affine.fp32, wide, '--input', affine.x), wide, /inputs differ.*\[1,8\].*\[1,4\]/);
  });

  it('.npy input whose shape does not fit the model', () => {
    const f = path.join(dir, 'wrong_shape.npy');
    fs.writeFileSync(f, encodeNpy({ name: 'x', dtype: 'float32', shape: [1, 5], data: new Float32Array(5) }));
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', f), f, /does not fit model input x/);
  });

  it('corrupt .npy input', () => {
    const f = path.join(dir, 'corrupt.npy');
    fs.writeFileSync(f, 'not numpy at all');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', f), f, /not a \.npy file/);
  });
});

describe('models that produce NaN and Inf', () => {
  it('reports NaN/Inf counts per tensor instead of crashing', () => {
    const p = nanInfPair(dir);
    const json = path.join(dir, 'naninf.json');
    const r = run(p.fp32, p.int8, '--input', p.x, '--json', json);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(fs.readFileSync(json, 'utf8')).candidates[0].rows as { name: string; metrics: { count: number; nanCount: { ref: number; test: number }; infCount: { ref: number; test: number }; sqnrDb: number | string } }[];
    const byName = new Map(rows.map((x) => [x.name, x.metrics]));
    // x = [0, -1, 1, ...]: Log gives -Inf at 0 and NaN at -1; 1/Log(1) = 1/0 = +Inf; 1/-Inf = -0 (finite).
    expect(byName.get('l')!.nanCount).toEqual({ ref: 1, test: 1 });
    expect(byName.get('l')!.infCount).toEqual({ ref: 1, test: 1 });
    expect(byName.get('y')!.nanCount).toEqual({ ref: 1, test: 1 });
    expect(byName.get('y')!.infCount).toEqual({ ref: 1, test: 1 });
    expect(byName.get('y')!.count).toBe(6);
    expect(typeof byName.get('y')!.sqnrDb).toBe('number'); // the finite pairs still give a metric
  });
});

describe('image folders', () => {
  let model: string, folder: string;
  beforeAll(async () => {
    model = tinyImageModel(dir);
    folder = path.join(dir, 'images');
    fs.mkdirSync(folder, { recursive: true });
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 40, height: 24, channels: 3, background: { r: 200, g: 10, b: 60 } } }).png().toFile(path.join(folder, 'a.png'));
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an image\n');
  });

  it('non-image file in an image folder is skipped with a warning naming it', () => {
    const r = run(model, model, '--input', folder);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*notes\.txt: not an image or \.npy, skipped/);
  });

  it('non-image file in an image folder is refused with --strict-inputs', () => {
    expectOneLineUserError(run(model, model, '--input', folder, '--strict-inputs'), 'notes.txt', /not an image or \.npy file/);
  });

  it('file with an image extension that is not an image', () => {
    const f = path.join(dir, 'fake.jpg');
    fs.writeFileSync(f, 'not a jpeg');
    expectOneLineUserError(run(model, model, '--input', f), f, /cannot decode image/);
  });

  it('folder without images', () => {
    const empty = path.join(dir, 'no_images');
    fs.mkdirSync(empty, { recursive: true });
    fs.writeFileSync(path.join(empty, 'readme.md'), '#');
    expectOneLineUserError(run(model, model, '--input', empty), empty, /no images/);
  });
});

describe('bad Arrow dumps', () => {
  let dumpDir: string;
  beforeAll(() => {
    dumpDir = path.join(dir, 'dumps');
    const r = run(affine.fp32, affine.int8, '--input', affine.x, '--dump', dumpDir);
    expect(r.status, r.stderr).toBe(0);
  });
  const truncated = (keep: (n: number) => number, name: string) => {
    const f = path.join(dir, name);
    const bytes = fs.readFileSync(path.join(dumpDir, 'fp32.arrow'));
    fs.writeFileSync(f, bytes.subarray(0, keep(bytes.length)));
    return f;
  };

  it('truncated dump (half) in compare, inspect and as --input', () => {
    const f = truncated((n) => n >> 1, 'half.arrow');
    expectOneLineUserError(runCli(['compare', f, path.join(dumpDir, 'int8.arrow'), '-q']), f, /truncated|not an Arrow/);
    expectOneLineUserError(runCli(['compare', path.join(dumpDir, 'fp32.arrow'), f, '-q']), f, /truncated|not an Arrow/);
    expectOneLineUserError(runCli(['inspect', f]), f, /truncated|not an Arrow/);
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', f), f, /truncated|not an Arrow/);
  });

  it('truncated dump (footer cut)', () => {
    const f = truncated((n) => n - 10, 'nofooter.arrow');
    expectOneLineUserError(runCli(['compare', f, path.join(dumpDir, 'int8.arrow'), '-q']), f, /truncated|not an Arrow/);
  });

  it('a file that is not Arrow at all', () => {
    const f = path.join(dir, 'text.arrow');
    fs.writeFileSync(f, 'hello');
    expectOneLineUserError(runCli(['inspect', f]), f, /not an Arrow/);
  });

  const py = pythonWith('pyarrow');
  describe.skipIf(!py.ok)(`Arrow written by another tool (pyarrow)${py.ok ? '' : ` — skipped: ${py.reason}`}`, () => {
    let fx: string;
    beforeAll(() => {
      fx = path.join(dir, 'pyarrow');
      const r = spawnSync('python3', [path.join(ROOT, 'goldens/robustness/make_fixtures.py'), fx], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
    it('pyarrow IPC file with an unrelated schema', () => {
      const f = path.join(fx, 'pyarrow_table.arrow');
      expectOneLineUserError(runCli(['compare', f, path.join(dumpDir, 'int8.arrow'), '-q']), f, /not a trt-diff dump \(missing columns/);
    });
    it('pyarrow IPC stream with an unrelated schema', () => {
      const f = path.join(fx, 'pyarrow_stream.arrow');
      expectOneLineUserError(runCli(['inspect', f]), f, /not a trt-diff dump/);
    });
    it('compressed Feather v2 table with a "data" column', () => {
      const f = path.join(fx, 'polars_like.feather');
      expectOneLineUserError(runCli(['inspect', f]), f, /not a trt-diff dump/);
    });
  });
});

describe('calibration caches', () => {
  const help = runCli(['--help']).stdout;
  const hasInspectCache = /\binspect\b/.test(help);
  const hasSimulate = /\bsimulate\b/.test(help);
  const bad: [string, string, RegExp][] = [
    ['empty.cache', '', /empty calibration cache|unknown file kind/],
    ['no_header.cache', 'images: 3c010a14\n', /header/],
    ['bad_hex.cache', 'TRT-100300-EntropyCalibration2\nimages: zz010a14\n', /not a hex float32 scale/],
    ['no_colon.cache', 'TRT-100300-EntropyCalibration2\nimages 3c010a14\n', /expected "<tensor name>: <8 hex digits>"/],
    ['duplicate.cache', 'TRT-100300-EntropyCalibration2\nimages: 3c010a14\nimages: 3c010a15\n', /appears twice/],
  ];
  const inspectHandlesCache = (): boolean => {
    const f = path.join(dir, 'probe.cache');
    fs.writeFileSync(f, 'TRT-100300-EntropyCalibration2\nimages: 3c010a14\n');
    return runCli(['inspect', f]).status === 0;
  };

  for (const [name, text, problem] of bad) {
    it(`inspect: malformed cache (${name})`, (ctx) => {
      if (!hasInspectCache || !inspectHandlesCache()) {
        ctx.skip(`skipped: \`trt-diff inspect <file>.cache\` is not available in this build (src/quant/calibration-cache.ts is not wired into inspect yet)`);
      }
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      expectOneLineUserError(runCli(['inspect', f]), f, problem);
    });
    it(`simulate --cache: malformed cache (${name})`, (ctx) => {
      if (!hasSimulate) ctx.skip('skipped: `trt-diff simulate` is not registered in this build');
      const f = path.join(dir, `sim_${name}`);
      fs.writeFileSync(f, text);
      const out = path.join(dir, `sim_${name}.onnx`);
      expectOneLineUserError(runCli(['simulate', '--model', affine.fp32, '--cache', f, '--out', out]), f, problem);
      expect(fs.existsSync(out)).toBe(false);
    });
  }
});

describe('output that cannot be written', () => {
  it('--json under a path whose folder is a file', () => {
    const file = path.join(dir, 'a_file');
    fs.writeFileSync(file, 'x');
    const target = path.join(file, 'report.json');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', affine.x, '--json', target), target, /cannot write \(ENOTDIR\)/);
    expect(filesUnder(dir).filter((f) => f.includes('report.json'))).toEqual([]);
  });

  it('--json into a folder that does not exist', () => {
    const target = path.join(dir, 'missing_dir', 'sub', 'report.json');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', affine.x, '--json', target), target, /cannot write \(ENOENT\)/);
  });

  it('--dump under a path whose folder is a file', () => {
    const file = path.join(dir, 'another_file');
    fs.writeFileSync(file, 'x');
    const target = path.join(file, 'dumps');
    expectOneLineUserError(run(affine.fp32, affine.int8, '--input', affine.x, '--dump', target), target, /cannot create dump/);
  });
});

describe('disk full and interrupted dumps', () => {
  let chain: { fp32: string; int8: string };
  beforeAll(() => { chain = chainPair(dir, 1 << 16, 6); });

  /** A 64 KiB tmpfs when this process may mount one (root in a container that allows it), else undefined. */
  function tinyTmpfs(): string | undefined {
    const mnt = path.join(dir, `tmpfs-${process.pid}`);
    fs.mkdirSync(mnt, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
    return r.status === 0 ? mnt : undefined;
  }

  it('disk full while dumping (ENOSPC on a tiny tmpfs, or EFBIG under ulimit -f)', () => {
    const mnt = tinyTmpfs();
    const args = ['run', '--fp32', chain.fp32, '--int8', chain.int8, '--input', 'random:1', '-q'];
    if (mnt) {
      try {
        const target = path.join(mnt, 'dumps');
        const r = runCli([...args, '--dump', target]);
        expectOneLineUserError(r, path.join(target, 'fp32.arrow'), /disk full while writing dump; partial file removed/);
        expect(filesUnder(target)).toEqual([]);
        const json = path.join(mnt, 'big.json');
        // Room for the small JSON report: it must be written whole.
        const ok = runCli([...args, '--json', json]);
        expect(ok.status, ok.stderr).toBe(0);
        JSON.parse(fs.readFileSync(json, 'utf8'));
      } finally {
        spawnSync('umount', [mnt]);
      }
    } else {
      // No mount permission: the file-size limit makes write() fail with EFBIG (SIGXFSZ is ignored by Node).
      const target = path.join(dir, 'ulimit_dumps');
      const quoted = [process.execPath, ...cliEntry(), ...args, '--dump', target].map((a) => `'${a}'`).join(' ');
      const r = spawnSync('bash', ['-c', `ulimit -f 100; exec ${quoted}`], { encoding: 'utf8', cwd: ROOT });
      expectOneLineUserError({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, path.join(target, 'fp32.arrow'), /write failed \(EFBIG\); partial file removed/);
      expect(filesUnder(target)).toEqual([]);
    }
  });

  it('SIGINT during a dump removes the temp files and exits 130', async () => {
    const target = path.join(dir, 'sigint_dumps');
    const inputs = Array.from({ length: 200 }, (_, k) => ['--input', `random:${k}`]).flat();
    const r = await runCliAndSignal(['run', '--fp32', chain.fp32, '--int8', chain.int8, ...inputs, '-q', '--dump', target], 'SIGINT',
      () => filesUnder(target).some((f) => f.endsWith('.partial')));
    expect(r.signalled).toBe(true);
    expect(r.status).toBe(130);
    expect(filesUnder(target)).toEqual([]);
  });
});
