import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { IMAGE_EXTENSIONS } from '../inputs/image-loader.js';
import { mulberry32 } from '../inputs/random.js';

/**
 * The seed axis reorders calibration samples, so they must be listed one by one: folders become
 * their image files (sorted, as samplesFrom reads them), list.txt files their lines; single-sample
 * specs (an image, x.npy, name=x.npy, random:N) stay as they are. Only paths are listed here;
 * nothing is decoded.
 */
export function listSamples(specs: readonly string[], warn?: (line: string) => void): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const stat = fs.existsSync(spec) ? fs.statSync(spec) : undefined;
    const ext = path.extname(spec).toLowerCase();
    if (stat?.isDirectory()) {
      const files = fs.readdirSync(spec).sort().map((f) => path.join(spec, f)).filter((f) => fs.statSync(f).isFile());
      const images = files.filter((f) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()));
      if (images.length === 0) throw new UserError('folder contains no images', spec);
      for (const f of files) if (!images.includes(f)) warn?.(`warning: ${f}: not an image, skipped`);
      out.push(...images);
    } else if (stat?.isFile() && ext === '.txt') {
      const dir = path.dirname(spec);
      const lines = fs.readFileSync(spec, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      out.push(...lines.map((l) => path.resolve(dir, l)));
    } else if (ext === '.arrow' || ext === '.feather') {
      throw new UserError('the seed axis shuffles calibration samples one by one, which an Arrow dump cannot be split into; pass image files, folders, list.txt or .npy arrays', spec);
    } else {
      out.push(spec);
    }
  }
  return out;
}

/**
 * The first `n` samples, in an order shuffled by `seed` (Fisher-Yates with mulberry32): the set
 * is the same as without a seed, only the order changes, so the seed axis isolates the effect of
 * order (which images form Entropy2's first batch) from the effect of set size.
 */
export function shuffledFirst(samples: readonly string[], n: number, seed: number): string[] {
  const out = samples.slice(0, n);
  const rnd = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
