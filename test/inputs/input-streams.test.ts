import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { samplesFrom, type Sample } from '../../src/inputs/input-source.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { randomTensor } from '../../src/inputs/random.js';
import type { TensorInfo } from '../../src/runners/runner.js';
import { tmpDir } from '../helpers/paths.js';

/** NAME=SOURCE grouping and zipping, in process (end-to-end runs: input-flags.test.ts). */
const take = async (specs: string[], inputs: TensorInfo[], max?: number): Promise<Sample[]> => {
  const out: Sample[] = [];
  for await (const s of samplesFrom(specs, inputs, { maxSamples: max })) out.push(s);
  return out;
};
const npy = (file: string, shape: number[], fill: number) => {
  fs.writeFileSync(file, encodeNpy({ name: 'x', dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) }));
  return file;
};

describe('input streams', () => {
  const ids: TensorInfo = { name: 'ids', dtype: 'int64', shape: [1, 'seq'] };
  const mask: TensorInfo = { name: 'attention_mask', dtype: 'bool', shape: [1, 'seq'] };
  const x: TensorInfo = { name: 'x', dtype: 'float32', shape: [1, 4] };

  it('unnamed random feeds every input with seed + its position, as before NAME= specs', async () => {
    const y: TensorInfo = { name: 'y', dtype: 'float32', shape: [1, 2] };
    const [s] = await take(['random:5'], [x, y]);
    expect(Array.from(s!.feeds.x!.data as Float32Array)).toEqual(Array.from(randomTensor('x', [1, 4], 5).data as Float32Array));
    expect(Array.from(s!.feeds.y!.data as Float32Array)).toEqual(Array.from(randomTensor('y', [1, 2], 6).data as Float32Array));
  });

  it('const:V takes each input\'s dtype (int64 ids, bool mask) and symbolic dims of a rank-2 input as 1', async () => {
    const [s] = await take(['ids=const:7', 'attention_mask=const:1'], [ids, mask]);
    expect(s!.feeds.ids!.dtype).toBe('int64');
    expect(Array.from(s!.feeds.ids!.data as BigInt64Array)).toEqual([7n]);
    expect(Array.from(s!.feeds.attention_mask!.data as Uint8Array)).toEqual([1]);
    await expect(take(['ids=const:0.5', 'attention_mask=const:1'], [ids, mask])).rejects.toThrow(/const:0.5 is not an integer, and model input ids is int64/);
  });

  it('specs of one input concatenate; different inputs zip; one sample repeats; --max-images cuts the zipped stream', async () => {
    const dir = tmpDir('streams-');
    const a = npy(path.join(dir, 'a.npy'), [1, 4], 1), b = npy(path.join(dir, 'b.npy'), [1, 4], 2);
    const y: TensorInfo = { name: 'y', dtype: 'float32', shape: [1, 2] };
    const out = await take([a, b, 'y=const:3'], [x, y]);
    expect(out.map((s) => [(s.feeds.x!.data as Float32Array)[0], (s.feeds.y!.data as Float32Array)[0]])).toEqual([[1, 3], [2, 3]]);
    expect(out.map((s) => s.id)).toEqual([a, b]);
    expect(await take([a, b, 'y=const:3'], [x, y], 1)).toHaveLength(1);
    const ys = tmpDir('ys-');
    for (const k of [0, 1, 2]) npy(path.join(ys, `${k}.npy`), [1, 2], k);
    await expect(take([a, b, `y=${ys}`], [x, y])).rejects.toThrow(/the unnamed --input gives 2 samples but --input y=\.\.\. gives more/);
  });
});
