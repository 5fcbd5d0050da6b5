import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, at } from '../errors.js';
import { listFile, listFolder, splitName } from '../inputs/input-spec.js';
import { mulberry32 } from '../inputs/random.js';

/**
 * The seed axis reorders calibration samples, so they must be listed one by one: folders become
 * their image and .npy files (sorted, as samplesFrom reads them), list.txt files their lines, each
 * keeping its NAME= prefix; single-sample specs (an image, x.npy, name=x.npy, random:N) stay as
 * they are. Only paths are listed here; nothing is decoded.
 */
export function listSamples(specs: readonly string[], warn?: (line: string) => void): string[] {
  const out: string[] = [];
  for (const text of specs) {
    const { name, rest } = splitName(text);
    const named = (f: string) => (name === undefined ? f : `${name}=${f}`);
    const ext = path.extname(rest).toLowerCase();
    const stat = fs.existsSync(rest) ? fs.statSync(rest) : undefined;
    if (ext === '.arrow' || ext === '.feather') {
      throw new UserError('the seed axis shuffles calibration samples one by one, which an Arrow dump cannot be split into; pass image files, folders, list.txt or .npy arrays', rest);
    }
    if (stat?.isDirectory()) out.push(...listFolder(rest, { warn }).map(named));
    else if (stat?.isFile() && ext === '.txt') out.push(...listFile(rest).map(named));
    else out.push(text);
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
    [out[i], out[j]] = [at(out, j), at(out, i)];
  }
  return out;
}
