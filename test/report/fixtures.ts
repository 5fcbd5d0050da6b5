import * as path from 'node:path';
import { ArrowDumpWriter } from '../../src/dump/arrow-dump-writer.js';
import { runCli } from '../helpers/cli.js';

/**
 * Closed-form dumps: the reference is ±1 alternating (Σr² = n), a candidate multiplies it by
 * (1 + δ), so its error is δ·r and SQNR = −20·log10(δ) exactly, cosine = 1, maxAbs = δ.
 */
export function sqnrOfDelta(delta: number): number {
  return -20 * Math.log10(delta);
}

export function closedFormDumps(dir: string, deltas: Record<string, number[]>, samples = ['s0', 's1']): { ref: string; cands: string[] } {
  const names = Object.keys(deltas);
  const n = 64;
  const base = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1));
  const ref = ArrowDumpWriter.open(path.join(dir, 'ref.arrow'), { role: 'fp32', model: 'ref.onnx', backend: 'test' });
  const k = deltas[names[0]!]!.length;
  const cands = Array.from({ length: k }, (_, c) => ArrowDumpWriter.open(path.join(dir, `cand${c}.arrow`), { role: 'int8', model: `cand${c}.onnx`, backend: 'test' }));
  for (const s of samples) {
    for (const name of names) {
      ref.write({ name, dtype: 'float32', shape: [1, n], data: base }, s);
      cands.forEach((w, c) => {
        const d = deltas[name]![c]!;
        // Float32 rounding of ±(1+δ) would perturb the closed form; store the test in float64.
        w.write({ name: `${name}_DequantizeLinear_Output`, dtype: 'float64', shape: [1, n], data: Float64Array.from(base, (v) => v * (1 + d)) }, s, name);
      });
    }
  }
  ref.close();
  cands.forEach((w) => w.close());
  return { ref: path.join(dir, 'ref.arrow'), cands: cands.map((w) => w.file) };
}

/** The CLI as users run it (test/helpers/cli.ts: dist/ when fresh, else the sources through tsx). */
export function cli(args: string[], env: Record<string, string> = {}) {
  const r = runCli(args, { env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
