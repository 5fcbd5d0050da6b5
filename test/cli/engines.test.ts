import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveModel } from '../../src/graph/onnx-model.js';
import { runCli } from '../helpers/cli.js';
import { affineReluModels, model as onnxModel, node, valueInfo } from '../helpers/onnx-builder.js';
import { ROOT, tmpDir } from '../helpers/paths.js';

// `trt-diff build` and `run` with engines, through a TEST DOUBLE of the native addon
// (test/helpers/fake-trt-addon.cjs, loaded with TRT_DIFF_NATIVE): these tests check TypeScript
// control flow — which tensors are asked for and named, coverage, exit codes, files — never numbers
// (the double returns copies of the input). test/runners/standin.test.ts runs the same commands
// through the stand-in TensorRT built against the real headers.
const dir = tmpDir('cli-engines-');
const f = path.join(dir, 'f.onnx');
const q = path.join(dir, 'q.onnx');
const { fp32, int8 } = affineReluModels();
saveModel(fp32, f);
saveModel(int8, q);

const io = [{ name: 'x', mode: 'input', dtype: 'float32', shape: [1, 4], format: 'LINEAR' }, { name: 'y', mode: 'output', dtype: 'float32', shape: [1, 4], format: 'LINEAR' }];
const out = (name: string) => ({ name, dtype: 'float32', shape: [1, 4], copyOf: 'x' });
// FP32: Mul+Add fused into one layer reported under an internal name; h exists only inside it.
const fp32Plan = {
  fake: 'trt-diff test double', tensorrtVersion: '10.16.0', capture: 'debug', io,
  inspector: { Layers: [
    { Name: 'Mul_h + Add_a', Metadata: '[ONNX Layer: Mul_h]\x1E[ONNX Layer: Add_a]', Outputs: [{ Name: 'internal_a' }] },
    { Name: 'Relu_y', Metadata: '[ONNX Layer: Relu_y]', Outputs: [{ Name: 'y' }] },
  ] },
  results: [out('y'), out('internal_a')],
};
// INT8 (Q/DQ): each compute layer on its own (Q/DQ between them), a's layer under an internal name.
const int8Layers = [
  { Name: 'Mul_h', Metadata: '[ONNX Layer: Mul_h]', Outputs: [{ Name: 'h' }] },
  { Name: 'Add_a', Metadata: '\x1F[ONNX Layer: Add_a]\x1F', Outputs: [{ Name: 'internal_a2' }] },
  { Name: 'Relu_y', Metadata: '[ONNX Layer: Relu_y]', Outputs: [{ Name: 'y' }] },
];
const int8Plan = { ...fp32Plan, inspector: { Layers: int8Layers }, results: [out('y'), out('h'), out('internal_a2')] };
// The same INT8 engine with a's debug tensor removed on purpose.
const droppingPlan = { ...int8Plan, results: [out('y'), out('h')] };
const qDrop = path.join(dir, 'qdrop.onnx');
saveModel(int8, qDrop);

const plans = path.join(dir, 'plans.json');
fs.writeFileSync(plans, JSON.stringify({ 'f.onnx': fp32Plan, 'q.onnx': int8Plan, 'qdrop.onnx': droppingPlan }));
const env = { ...process.env, NO_COLOR: '1', TRTDIFF_DEBUG: '', TRT_DIFF_NATIVE: path.join(ROOT, 'test/helpers/fake-trt-addon.cjs'), FAKE_TRT_PLANS: plans };
const cli = (args: string[]) => runCli(args, { env });
const rowsOf = (stdout: string) => stdout.split('\n').filter((l) => /^│\s+\d+ │/.test(l)).map((l) => l.split('│')[3]!.trim());

describe('trt-diff build (test double of the addon)', () => {
  it('writes the engine and its layer map, atomically, naming what is exposed and fused', () => {
    const e = path.join(dir, 'f.engine');
    const r = cli(['build', f, '-o', e, '--expose', 'all']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${e} (TensorRT 10.16.0, FP32, capture debug) and ${e}.layers.json`);
    expect(r.stdout).toContain('2 tensors exposed, 1 fused inside other layers');
    const map = JSON.parse(fs.readFileSync(`${e}.layers.json`, 'utf8'));
    expect(map.tensors.map((t: { engine: string; onnx: string }) => [t.engine, t.onnx])).toEqual([['internal_a', 'a'], ['y', 'y']]);
    expect(map.fused).toEqual([{ onnx: 'h', layer: 'Mul_h + Add_a' }]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('--int8 of a Q/DQ model builds; --expose outputs and --expose debug are passed through', () => {
    const r = cli(['build', q, '-o', path.join(dir, 'q.engine'), '--int8', '--expose', 'debug']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('INT8, capture debug');
    const o = cli(['build', q, '-o', path.join(dir, 'q-out.plan'), '--int8', '--expose', 'outputs']);
    expect(o.status, o.stderr).toBe(0);
    expect(o.stdout).toContain('capture outputs');
    expect(o.stdout).toContain('1 tensors exposed'); // only y is an I/O output of this engine
  });

  it('refuses, in one line with exit 2: FP32 --int8 without a cache, --cache without --int8, a cache for another model, a bad -o, bad --shapes', () => {
    const cache = path.join(dir, 'other.cache');
    fs.writeFileSync(cache, 'TRT-100300-EntropyCalibration2\nnot_in_model: 3c010a14\n');
    const cases: [string[], string][] = [
      [['build', f, '-o', path.join(dir, 'x.engine'), '--int8'], `${f}: has no Q/DQ nodes, so TensorRT would build it as FP32`],
      [['build', f, '-o', path.join(dir, 'x.engine'), '--cache', cache], '--cache calibrates an INT8 build: add --int8'],
      [['build', f, '-o', path.join(dir, 'x.engine'), '--int8', '--cache', cache], `${cache}: names none of the tensors of ${f}`],
      [['build', f, '-o', path.join(dir, 'x.onnx')], 'must end in .engine, .plan or .trt'],
      [['build', f, '-o', path.join(dir, 'x.engine'), '--shapes', 'x:1xfour'], '--shapes "x:1xfour": write input:DIMS'],
      [['build', f, '-o', path.join(dir, 'x.engine'), '--shapes', 'nope:1x4'], `${f}: --shapes names nope, which is not an input`],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
    expect(fs.existsSync(path.join(dir, 'x.engine'))).toBe(false);
  });

  it('--int8 --cache of an FP32 model builds (TensorRT 10 implicit INT8) when the cache names its tensors', () => {
    const cache = path.join(dir, 'f.cache');
    fs.writeFileSync(cache, 'TRT-100300-EntropyCalibration2\nx: 3c010a14\nh: 3c010a14\n');
    const r = cli(['build', f, '-o', path.join(dir, 'f-int8.engine'), '--int8', '--cache', cache]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('INT8');
  });

  it('a model with dynamic dims needs --shapes, and builds with it', () => {
    const dyn = path.join(dir, 'dyn.onnx');
    saveModel(onnxModel({ nodes: [node('Relu', ['x'], ['y'], {}, 'Relu_y')], inputs: [valueInfo('x', ['batch', 4])], outputs: [valueInfo('y', ['batch', 4])] }), dyn);
    const r = cli(['build', dyn, '-o', path.join(dir, 'dyn.engine')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${dyn}: input x has dynamic dims [batch,4]: give its shape with --shapes x:Nx4`);
    fs.writeFileSync(plans, JSON.stringify({ ...JSON.parse(fs.readFileSync(plans, 'utf8')), 'dyn.onnx': { ...fp32Plan, inspector: { Layers: [fp32Plan.inspector.Layers[1]] }, results: [out('y')] } }));
    const ok = cli(['build', dyn, '-o', path.join(dir, 'dyn.engine'), '--shapes', 'x:2x4']);
    expect(ok.status, ok.stderr).toBe(0);
  });
});

describe('trt-diff run with engines (test double of the addon)', () => {
  const fe = path.join(dir, 'run-f.engine');
  const qe = path.join(dir, 'run-q.engine');
  const plain = path.join(dir, 'plain.engine');
  const qplain = path.join(dir, 'qplain.plan');

  it('engines from trt-diff build: the per-layer table, ONNX names, fused tensors named as such', () => {
    expect(cli(['build', f, '-o', fe]).status).toBe(0);
    expect(cli(['build', q, '-o', qe, '--int8']).status).toBe(0);
    const json = path.join(dir, 'engines.json');
    const r = cli(['run', '--fp32', fe, '--int8', qe, '--input', 'random:1', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('note:');
    expect(rowsOf(r.stdout)).toEqual(['x', 'a', 'y']);
    const c = JSON.parse(fs.readFileSync(json, 'utf8')).candidates[0];
    expect(c.model.backend).toBe('tensorrt-10.16.0');
    expect(c.rows.map((x: { opType: string }) => x.opType)).toEqual(['Input', 'Add', 'Relu']);
    expect(c.skipped).toEqual([{ name: 'h', reason: 'fused by the FP32 backend (no such tensor in its engine)' }]);
    expect(c.coverage.missing).toEqual([]);
  });

  it('plain engines: the outputs are compared, one note says what a per-layer comparison needs, exit 0', () => {
    fs.writeFileSync(plain, JSON.stringify(fp32Plan));
    fs.writeFileSync(qplain, JSON.stringify(int8Plan));
    const r = cli(['run', '--fp32', plain, '--int8', qplain, '--input', 'random:1']);
    expect(r.status, r.stderr).toBe(0);
    expect(rowsOf(r.stdout)).toEqual(['x', 'y']);
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('note:'));
    expect(notes).toEqual([plain, qplain].map((e) => `note: ${e} exposes only its outputs (no layer map beside it); for a per-layer comparison, build it with \`trt-diff build <model.onnx> -o ${e}\` from the ONNX model, with the same TensorRT version and flags`));
  });

  it('mixed: --fp32 model.onnx (ONNX Runtime) --int8 model.engine', () => {
    const r = cli(['run', '--fp32', f, '--int8', qe, '--input', 'random:1', '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout).candidates[0];
    expect(c.rows.map((x: { name: string }) => x.name)).toEqual(['x', 'h', 'a', 'y']);
    expect(JSON.parse(r.stdout).fp32.backend).toBe('onnxruntime-cpu');
  });

  it('--backend tensorrt: a pair removed on purpose is named and fails the run; --allow-partial accepts it', () => {
    const engines = path.join(dir, 'engines');
    const args = ['run', '--fp32', f, '--int8', qDrop, '--input', 'random:1', '--backend', 'tensorrt', '--engine-dir', engines];
    const r = cli(args);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('INCOMPLETE: 1 of 4 requested tensor pairs never arrived: a (INT8)');
    expect(r.stderr).toContain(`${qDrop}: 1 of 4 requested tensor pairs never arrived (--allow-partial accepts a partial comparison)`);
    expect(cli([...args, '--allow-partial']).status).toBe(0);
    // Engines are named per model file and role: FP32 marked, INT8 marked, INT8 as deployed (perturbation check).
    expect(fs.readdirSync(engines).filter((n) => n.endsWith('.engine')).map((n) => n.replace(/-[0-9a-f]{8}-/, '-')).sort())
      .toEqual(['f-fp32.marked.engine', 'qdrop-int8.engine', 'qdrop-int8.marked.engine']);
  });

  it('--backend tensorrt: an FP32 model as --int8 without --trt-cache is refused, naming the file', () => {
    const r = cli(['run', '--fp32', f, '--int8', f, '--input', 'random:1', '--backend', 'tensorrt']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`trt-diff: ${f}: has no Q/DQ nodes, so TensorRT would build it as FP32: give a calibration cache (--trt-cache, TensorRT 10 implicit INT8) or quantize it with Q/DQ nodes`);
  });

  it('--backend tensorrt --trt-cache: an FP32 model as --int8 is built as implicit INT8 from the cache', () => {
    const cache = path.join(dir, 'run.cache');
    fs.writeFileSync(cache, 'TRT-100300-EntropyCalibration2\nx: 3c010a14\nh: 3c010a14\n');
    const r = cli(['run', '--fp32', f, '--int8', f, '--input', 'random:1', '--backend', 'tensorrt', '--trt-cache', cache, '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).candidates[0].model.backend).toBe('tensorrt-10.16.0');
  });

  it('--engine-dir: two models with one basename get two engine files; --shapes is accepted', () => {
    const other = path.join(dir, 'sub');
    fs.mkdirSync(other, { recursive: true });
    const q2 = path.join(other, 'q.onnx');
    saveModel(int8, q2);
    const engines = path.join(dir, 'engines2');
    const r = cli(['run', '--fp32', f, '--int8', q, '--int8', q2, '--input', 'random:1', '--backend', 'tensorrt', '--engine-dir', engines, '--shapes', 'x:1x4']);
    expect(r.status, r.stderr).toBe(0);
    const names = fs.readdirSync(engines).filter((n) => n.endsWith('.marked.engine'));
    expect(names.filter((n) => n.startsWith('q-')).length).toBe(2);
  });

  it('a TensorRT failure at inference is one line naming the engine, exit 3', () => {
    const bad = path.join(dir, 'bad.engine');
    fs.writeFileSync(bad, JSON.stringify({ ...fp32Plan, failInfer: 'cudaErrorIllegalAddress: an illegal memory access\nwas encountered' }));
    const r = cli(['run', '--fp32', f, '--int8', bad, '--input', 'random:1']);
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n').pop()).toBe(`trt-diff: ${bad}: TensorRT inference failed: cudaErrorIllegalAddress: an illegal memory access was encountered`);
  });
});
