/**
 * Writes trt-diff's own preprocessing of images (YOLO letterbox via src/inputs) to .npy files, once,
 * so that every benchmarked tool is fed byte-identical tensors and image decoding is not timed.
 *
 *   npx tsx bench/make-npy-inputs.ts <model.onnx> <image folder> <count> <out dir>
 * Writes <out dir>/<image>.npy and <out dir>/list.txt (one .npy path per line, for the python side).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../src/graph/onnx-model.js';
import { OrtRunner } from '../src/runners/ort-runner.js';
import { samplesFrom } from '../src/inputs/input-source.js';
import { encodeNpy } from '../src/inputs/npy.js';

const [modelFile, imageDir, countArg, outDir] = process.argv.slice(2);
if (!modelFile || !imageDir || !countArg || !outDir) {
  process.stderr.write('usage: make-npy-inputs.ts <model.onnx> <image folder> <count> <out dir>\n');
  process.exit(2);
}
const runner = await OrtRunner.open(loadModel(modelFile));
const inputs = runner.describe().inputs;
await runner.close();
fs.mkdirSync(outDir, { recursive: true });
const written: string[] = [];
for await (const s of samplesFrom([imageDir], inputs, { maxSamples: Number(countArg) })) {
  const t = Object.values(s.feeds)[0]!;
  const file = path.resolve(outDir, `${path.basename(s.id, path.extname(s.id))}.npy`);
  fs.writeFileSync(file, encodeNpy(t));
  written.push(file);
}
fs.writeFileSync(path.join(outDir, 'list.txt'), `${written.join('\n')}\n`);
process.stdout.write(`${written.length} inputs in ${outDir}\n`);
