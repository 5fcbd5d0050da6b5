import * as fs from 'node:fs';
import * as path from 'node:path';
import yargs from 'yargs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel, type OnnxModel } from '../../src/graph/onnx-model.js';
import { initializerValues } from '../../src/graph/initializers.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { samplesFrom } from '../../src/inputs/input-source.js';
import { runBuilder, runComparison } from '../../src/cli/commands/run.js';
import { parseRunOptions } from '../../src/cli/run-options.js';
import { floatInitializer } from '../../src/localize/float-fallback.js';
import { runCli } from '../helpers/cli.js';
import { YOLO, hasShared, tmpDir } from '../helpers/paths.js';

const dir = hasShared ? tmpDir('localize-') : '';
afterAll(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

/** Output of a model on bus.jpg, fetched with a plain OrtRunner (independent of the bisect code). */
async function output0(file: string): Promise<Float32Array> {
  const r = await OrtRunner.open(loadModel(file));
  try {
    for await (const s of samplesFrom([YOLO.bus], r.describe().inputs)) {
      for await (const t of r.run(s.feeds, { fetch: ['output0'] })) return t.data as Float32Array;
    }
    throw new Error('no output');
  } finally {
    await r.close();
  }
}

/** SQNR over rows [from, to) of a [1, 84, 8400] output, written out by hand. */
function sqnrRows(ref: Float32Array, test: Float32Array, from: number, to: number): number {
  let s = 0, e = 0;
  for (let i = from * 8400; i < to * 8400; i++) { s += ref[i]! ** 2; e += (ref[i]! - test[i]!) ** 2; }
  return 10 * Math.log10(s / e);
}

/** `bisect` on bus.jpg writing <name>-fixed.onnx and <name>.json; checks it succeeded and logged every evaluation. */
function bisect(name: string, int8: string, target: string) {
  const out = path.join(dir, `${name}-fixed.onnx`);
  const json = path.join(dir, `${name}.json`);
  const r = runCli(['bisect', '--fp32', YOLO.fp32, '--int8', int8, '--images', YOLO.bus, '--target', target, '--out', out, '--json', json]);
  expect(r.status, r.stderr).toBe(0);
  const res = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(r.stderr.split('\n').filter((l) => /^bisect: evaluation \d+/.test(l))).toHaveLength(res.evaluations);
  return { r, res, out };
}

describe.skipIf(!hasShared)('bisect on YOLOv8n Q/DQ models (fixed model re-run independently)', () => {
  it('collapsed model, class_sqnr>=12: keeping the output Concat in float is enough', async () => {
    const { r, res, out } = bisect('collapsed', YOLO.collapsed, 'class_sqnr>=12');
    expect(res.set.map((o: { name: string }) => o.name)).toEqual(['/model.22/Concat_3']);
    expect(r.stdout).toContain("--nodes_to_exclude '^/model\\.22/Concat_3$'");

    const ref = await output0(YOLO.fp32);
    const before = sqnrRows(ref, await output0(YOLO.collapsed), 4, 84);
    const after = sqnrRows(ref, await output0(out), 4, 84);
    expect(before).toBeLessThan(1); // every class score rounds to 0
    expect(after).toBeGreaterThanOrEqual(12);
    expect(after).toBeCloseTo(res.final, 6);
    // the user's file is untouched and --out is refused over an input
    const again = runCli(['bisect', '--fp32', YOLO.fp32, '--int8', YOLO.collapsed, '--images', YOLO.bus, '--target', 'class_sqnr>=12', '--out', YOLO.collapsed]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--out would overwrite an input of this command/);
  });

  it('entropy model, sqnr>=30@output0: a small set, verified on the fixed model', async () => {
    const { res, out } = bisect('entropy', YOLO.entropy, 'sqnr>=30@output0');
    expect(res.set.length).toBeGreaterThan(0);
    expect(res.set.length).toBeLessThanOrEqual(5);
    expect(res.baseline).toBeLessThan(30);
    const ref = await output0(YOLO.fp32);
    const after = sqnrRows(ref, await output0(out), 0, 84);
    expect(after).toBeGreaterThanOrEqual(30);
    expect(sqnrRows(ref, await output0(YOLO.entropy), 0, 84)).toBeCloseTo(res.baseline, 6);
  });
});

describe.skipIf(!hasShared)('run --local on a model with one injected bad scale', () => {
  const INJECTED = '/model.4/m.0/cv1/conv/Conv_output_0';

  function injectBadScale(m: OnnxModel, tensor: string, factor: number): void {
    const g = m.proto.graph!;
    const scale = `${tensor}_scale`;
    // the scale belongs to this pair alone (its Q and its DQ), so only this tensor is coarsened
    expect(g.node.filter((n) => n.input.includes(scale)).map((n) => n.opType).sort()).toEqual(['DequantizeLinear', 'QuantizeLinear']);
    const i = g.initializer.findIndex((t) => t.name === scale);
    const v = initializerValues(g.initializer[i]!);
    g.initializer[i] = floatInitializer(scale, g.initializer[i]!.dims.map(Number), Float32Array.from(v, (x) => x * factor));
  }

  it('local error puts the injected op first; accumulated error blames many downstream tensors', async () => {
    const m = loadModel(YOLO.entropy);
    injectBadScale(m, INJECTED, 20);
    const file = path.join(dir, 'injected.onnx');
    saveModel(m.proto, file);
    const args = runBuilder(yargs(['--fp32', YOLO.fp32, '--int8', file, '-i', YOLO.bus, '--local'])).parseSync();
    const report = await runComparison(parseRunOptions(args));
    const c = report.candidates[0]!;
    const injected = c.rows.find((r) => r.name === INJECTED)!;
    const byLocal = c.rows.filter((r) => r.local).sort((a, b) => a.local!.sqnrDb - b.local!.sqnrDb);
    expect(byLocal.length).toBeGreaterThan(200);
    expect(byLocal[0]!.name).toBe(INJECTED);
    expect(byLocal[1]!.local!.sqnrDb - byLocal[0]!.local!.sqnrDb).toBeGreaterThan(5);
    expect(c.firstDivergence?.tensor).toBe(INJECTED);
    expect(report.thresholds.use).toBe('local');
    // amplification = local − accumulated
    expect(injected.local!.amplificationDb).toBeCloseTo(injected.local!.sqnrDb - injected.metrics.sqnrDb, 9);

    const byAccumulated = [...c.rows].sort((a, b) => a.metrics.sqnrDb - b.metrics.sqnrDb);
    expect(byAccumulated[0]!.name).not.toBe(INJECTED);
    const worseDownstream = c.rows.filter((r) => r.order > injected.order && r.metrics.sqnrDb < injected.metrics.sqnrDb);
    expect(worseDownstream.length).toBeGreaterThanOrEqual(10);
  });
});
