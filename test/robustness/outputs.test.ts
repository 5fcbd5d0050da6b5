import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/paths.js';
import { expectOneLineUserError, filesUnder, runCli, runCliAndSignal } from '../helpers/cli.js';
import { affinePair, chainPair, writeNpy } from './fixtures.js';

/**
 * The output side of hostile use (issue #15): every case ends with exit code 2 and one line (or the
 * signal's exit code), inputs untouched byte for byte, previous outputs intact, and no temp file,
 * scratch folder or empty folder left behind.
 */
let dir: string;
let affine: ReturnType<typeof affinePair>;
let chain: { fp32: string; int8: string };
const bytes = (f: string) => fs.readFileSync(f);
const run = (...rest: string[]) => runCli(['run', '--fp32', affine.fp32, '--int8', affine.int8, '--input', affine.x, '-q', ...rest]);
/** Enough samples of the chain pair that the run is still going when the test acts. */
const manyInputs = Array.from({ length: 400 }, (_, k) => ['--input', `random:${k}`]).flat();

beforeAll(() => {
  dir = tmpDir('outputs-');
  affine = affinePair(dir);
  chain = chainPair(dir, 1 << 16, 6);
});

function freshDir(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  return d;
}

describe('outputs never clobber inputs', () => {
  it('--json pointing at the --fp32 model is refused, the model untouched', () => {
    const before = bytes(affine.fp32);
    expectOneLineUserError(run('--json', affine.fp32), affine.fp32, /--json would overwrite an input/);
    expect(bytes(affine.fp32).equals(before)).toBe(true);
  });

  it('--html through a symlink to the --int8 model is refused', () => {
    const link = path.join(dir, 'report_link.html');
    fs.symlinkSync(affine.int8, link);
    const before = bytes(affine.int8);
    expectOneLineUserError(run('--html', link), link, /--html would overwrite an input/);
    expect(bytes(affine.int8).equals(before)).toBe(true);
  });

  it('--dump into the folder of the dump replayed with --input is refused', () => {
    const d = freshDir('replay');
    const first = run('--dump', d);
    expect(first.status, first.stderr).toBe(0);
    const before = bytes(path.join(d, 'fp32.arrow'));
    expectOneLineUserError(runCli(['run', '--fp32', affine.fp32, '--int8', affine.int8, '--input', path.join(d, 'fp32.arrow'), '--dump', d]),
      path.join(d, 'fp32.arrow'), /--dump would overwrite an input/);
    expect(bytes(path.join(d, 'fp32.arrow')).equals(before)).toBe(true);
  });

  it('bisect --force --out through a symlink to the --int8 model is refused', () => {
    const link = path.join(dir, 'fixed_link.onnx');
    fs.symlinkSync(affine.int8, link);
    const before = bytes(affine.int8);
    const r = runCli(['bisect', '--fp32', affine.fp32, '--int8', affine.int8, '--input', affine.x, '--target', 'sqnr>=90@y', '--out', link, '--force']);
    expectOneLineUserError(r, link, /--out would overwrite an input/);
    expect(bytes(affine.int8).equals(before)).toBe(true);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('convert onto its own input is refused', () => {
    const d = freshDir('convert_self');
    expect(run('--dump', d).status).toBe(0);
    const f = path.join(d, 'int8.arrow');
    const before = bytes(f);
    expectOneLineUserError(runCli(['convert', f, f]), f, /output file would overwrite an input/);
    expect(bytes(f).equals(before)).toBe(true);
  });

  it('simulate --out on its --cache is refused', () => {
    const cache = path.join(dir, 'sim.cache');
    fs.writeFileSync(cache, 'TRT-100300-EntropyCalibration2\nx: 3c010a14\n');
    const before = bytes(cache);
    expectOneLineUserError(runCli(['simulate', '--model', affine.fp32, '--cache', cache, '--out', cache]), cache, /--out would overwrite an input/);
    expect(bytes(cache).equals(before)).toBe(true);
  });
});

describe('outputs never clobber each other', () => {
  it('--json and --html on one path: refused before the run, nothing written', () => {
    const d = freshDir('same_path');
    const r = path.join(d, 'r.out');
    expectOneLineUserError(run('--json', r, '--html', r), r, /--json and --html would both write this file/);
    expect(filesUnder(d)).toEqual([]);
  });

  it('--dump "" is refused, not ignored', () => {
    expectOneLineUserError(run('--dump', ''), '--dump', /Expected a path for --dump but received nothing/);
  });
});

describe('no leftovers when a run fails', () => {
  it('an input error after the sessions open leaves no dump folder', () => {
    const bad = writeNpy(path.join(dir, 'wrong_shape.npy'), [1, 7], [1, 2, 3, 4, 5, 6, 7]);
    const d = path.join(dir, 'never_created');
    const r = runCli(['run', '--fp32', affine.fp32, '--int8', affine.int8, '--input', bad, '--dump', d, '--json', path.join(dir, 'never.json')]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(d)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'never.json'))).toBe(false);
  });

  it('a failure writing --junit leaves neither the dumps nor r.json of that run, and the previous ones intact', async () => {
    const d = freshDir('junit_fail');
    const dumps = path.join(d, 'dumps'), json = path.join(d, 'r.json'), sub = path.join(d, 'ci');
    fs.mkdirSync(dumps);
    fs.writeFileSync(path.join(dumps, 'fp32.arrow'), 'previous fp32');
    fs.writeFileSync(path.join(dumps, 'int8.arrow'), 'previous int8');
    fs.writeFileSync(json, 'previous report');
    fs.mkdirSync(sub);
    // The --junit folder is replaced by a file while the run goes on: the JUnit write fails at the end.
    let swapped = false;
    const r = await runCliAndSignal(['run', '--fp32', chain.fp32, '--int8', chain.int8, ...manyInputs.slice(0, 40), '-q',
      '--dump', dumps, '--json', json, '--junit', path.join(sub, 'junit.xml'), '--fail-on', 'sqnr<0@t6'], 'SIGTERM', () => {
      if (!swapped && filesUnder(dumps).some((f) => f.endsWith('.partial'))) {
        fs.rmSync(sub, { recursive: true });
        fs.writeFileSync(sub, 'now a file');
        swapped = true;
      }
      return false;
    });
    expect(swapped).toBe(true);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/junit\.xml: cannot write \(ENOTDIR\)/);
    expect(fs.readFileSync(path.join(dumps, 'fp32.arrow'), 'utf8')).toBe('previous fp32');
    expect(fs.readFileSync(path.join(dumps, 'int8.arrow'), 'utf8')).toBe('previous int8');
    expect(fs.readFileSync(json, 'utf8')).toBe('previous report');
    expect(filesUnder(d).sort()).toEqual(['ci', 'dumps/fp32.arrow', 'dumps/int8.arrow', 'r.json'].map((f) => f.replace('/', path.sep)).sort());
  });

  for (const [signal, code] of [['SIGHUP', 129], ['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} mid-run keeps the previous dump pair and report, removes every temp file (exit ${code})`, async () => {
      const d = freshDir(`signal_${signal}`);
      const dumps = path.join(d, 'dumps'), json = path.join(d, 'r.json'), pgy = path.join(d, 'run.json');
      fs.mkdirSync(dumps);
      fs.writeFileSync(path.join(dumps, 'fp32.arrow'), 'previous fp32');
      fs.writeFileSync(path.join(dumps, 'int8.arrow'), 'previous int8');
      fs.writeFileSync(json, 'previous report');
      const r = await runCliAndSignal(['run', '--fp32', chain.fp32, '--int8', chain.int8, ...manyInputs, '-q', '--dump', dumps, '--json', json, '--polygraphy-json', pgy],
        signal, () => filesUnder(dumps).some((f) => f.endsWith('.partial')));
      expect(r.signalled).toBe(true);
      expect(r.status).toBe(code);
      expect(fs.readFileSync(path.join(dumps, 'fp32.arrow'), 'utf8')).toBe('previous fp32');
      expect(fs.readFileSync(path.join(dumps, 'int8.arrow'), 'utf8')).toBe('previous int8');
      expect(fs.readFileSync(json, 'utf8')).toBe('previous report');
      expect(filesUnder(d).sort()).toEqual(['dumps/fp32.arrow', 'dumps/int8.arrow', 'r.json'].map((f) => f.replace('/', path.sep)).sort());
      expect(fs.readdirSync(d).sort()).toEqual(['dumps', 'r.json']);
    });
  }

  it('SIGINT during --polygraphy-json without --dump: no scratch folder beside it, nothing in the system temp folder', async () => {
    const d = freshDir('pgy_signal');
    const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
    const pgy = path.join(d, 'run.json');
    const r = await runCliAndSignal(['run', '--fp32', chain.fp32, '--int8', chain.int8, ...manyInputs, '-q', '--polygraphy-json', pgy], 'SIGINT',
      () => fs.readdirSync(d).some((f) => f.endsWith('.dumps')) && filesUnder(d).some((f) => f.endsWith('.partial')));
    expect(r.signalled).toBe(true);
    expect(r.status).toBe(130);
    expect(fs.readdirSync(d)).toEqual([]);
    const leaked = fs.readdirSync(os.tmpdir()).filter((f) => !tmpBefore.has(f) && /trt-?diff/i.test(f));
    expect(leaked).toEqual([]);
  });

  it('a completed run leaves exactly its outputs, no temp file', () => {
    const d = freshDir('complete');
    const r = run('--dump', path.join(d, 'dumps'), '--json', path.join(d, 'r.json'), '--polygraphy-json', path.join(d, 'run.json'), '--junit', path.join(d, 'j.xml'), '--fail-on', 'sqnr<0@y');
    expect(r.status, r.stderr).toBe(0);
    expect(filesUnder(d).sort()).toEqual(['dumps/fp32.arrow', 'dumps/int8.arrow', 'j.xml', 'r.json', 'run.json'].map((f) => f.replace('/', path.sep)).sort());
  });

  it('a failed gate (exit 1) still writes every output', () => {
    const d = freshDir('gate');
    const r = run('--json', path.join(d, 'r.json'), '--fail-on', 'sqnr<1000@y');
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(fs.readFileSync(path.join(d, 'r.json'), 'utf8')).candidates).toHaveLength(1);
  });
});

describe('no telemetry, no traces', () => {
  /** HOME, cwd and cache dirs the CLI (or ONNX Runtime directly) runs with; telemetry switch removed from the env. */
  function sandboxEnv(home: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1' };
    delete env.ORT_DISABLE_TELEMETRY;
    delete env.CI; // ONNX Runtime sends no telemetry when CI is set (measured): the control would see nothing
    delete env.XDG_CACHE_HOME;
    return env;
  }
  const ortSession = () => `import(${JSON.stringify(path.join(ROOT, 'node_modules/onnxruntime-node/dist/index.js'))}).then(async (ort) => { const s = await ort.InferenceSession.create(${JSON.stringify(affine.fp32)}); await s.release(); })`;

  it('ONNX Runtime on its own writes a device id under HOME (what the check below detects)', () => {
    const home = freshDir('home_plain');
    const r = spawnSync(process.execPath, ['-e', ortSession()], { cwd: home, env: sandboxEnv(home), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(filesUnder(home).some((f) => /onnxruntime/i.test(f))).toBe(true);
  });

  it('trt-diff run writes nothing under HOME or in the working directory', () => {
    const home = freshDir('home_cli'), cwd = freshDir('cwd_cli');
    const r = runCli(['run', '--fp32', affine.fp32, '--int8', affine.int8, '--input', affine.x, '-q'], { cwd, env: sandboxEnv(home) });
    expect(r.status, r.stderr).toBe(0);
    expect(filesUnder(home)).toEqual([]);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('with an unusable HOME, no :memory:.ses (or anything) lands in the working directory', () => {
    const cwd = freshDir('cwd_nohome');
    const r = runCli(['run', '--fp32', affine.fp32, '--int8', affine.int8, '--input', affine.x, '-q'], { cwd, env: sandboxEnv('/proc/trt-diff-no-home') });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
