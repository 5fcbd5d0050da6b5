import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../src/inputs/image-loader.js';
import { readNpy } from '../../src/inputs/npy.js';
import { toPreprocess } from '../../src/cli/options.js';
import { ROOT, pythonWith, tmpDir } from '../helpers/paths.js';

/**
 * Preprocessing against goldens/inputs/preprocess.py, which writes each family's convention
 * (Ultralytics LetterBox, YOLOX preproc, PIL grayscale, torchvision CenterCrop, PaddleOCR det/rec)
 * in numpy + PIL. The case's preset and flags go through the CLI's own parser (toPreprocess).
 */
interface Case { name: string; image: string; width: number; height: number; preset: string | null; flags: Record<string, unknown>; channels: 1 | 3; tolerance: number }

const py = pythonWith('numpy', 'PIL');
if (!py.ok) console.log(`skipping the preprocessing goldens: ${py.reason}`);

describe.skipIf(!py.ok)('preprocessing matches each family\'s reference (goldens/inputs/preprocess.py)', () => {
  const dir = tmpDir('pp-golden-');
  let cases: Case[] = [];
  const gen = () => {
    if (cases.length) return cases;
    const r = spawnSync('python3', [path.join(ROOT, 'goldens/inputs/preprocess.py'), dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`preprocess.py failed: ${r.stderr}`);
    cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Case[];
    return cases;
  };

  it('writes ten cases', () => {
    expect(gen().map((c) => c.name)).toEqual(['yolov8_centre', 'yolov5_odd_padding', 'yolox_top_left', 'grayscale_centre', 'nhwc_hw',
      'mean_std_resize', 'centre_crop', 'paddleocr_rec', 'paddleocr_det', 'yolov8_halved']);
  });

  for (const name of ['yolov8_centre', 'yolov5_odd_padding', 'yolox_top_left', 'grayscale_centre', 'nhwc_hw', 'mean_std_resize', 'centre_crop', 'paddleocr_rec', 'paddleocr_det', 'yolov8_halved']) {
    it(name, async () => {
      const c = gen().find((x) => x.name === name)!;
      const pre = toPreprocess({ ...(c.preset ? { preset: c.preset } : {}), ...c.flags });
      const { tensor } = await loadImage(c.image, 'x', c.width, c.height, pre, c.channels);
      const want = readNpy(path.join(dir, `${name}.npy`), 'x');
      expect(tensor.shape).toEqual(want.shape);
      const a = tensor.data as Float32Array, b = want.data as Float32Array;
      let worst = 0, sum = 0;
      for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); worst = Math.max(worst, d); sum += d; }
      // Exact cases: float32 rounding of (x/255 - mean)/std only.
      expect(worst, `${name}: max |diff| ${worst}, mean ${sum / a.length}`).toBeLessThanOrEqual(c.tolerance);
    });
  }
});
