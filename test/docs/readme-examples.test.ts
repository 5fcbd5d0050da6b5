import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

/**
 * README.md's example commands run as tests (as Polygraphy runs its example READMEs): every line of a
 * fenced block whose info string is `sh` that starts with `npx trt-diff` runs from a scratch folder
 * holding a link to fixtures/, and must exit 0. Blocks without `sh` show output, not commands.
 * `npm ci && ` prefixes (the set-up line) are dropped: the suite already runs on an installed tree.
 */
function readmeCommands(): string[][] {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const cmds: string[][] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    for (const raw of block[1]!.split('\n')) {
      const line = raw.replace(/#.*$/, '').replace(/^npm ci && /, '').trim();
      if (!line.startsWith('npx trt-diff ')) continue;
      cmds.push(line.slice('npx trt-diff '.length).split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1')));
    }
  }
  return cmds;
}

describe('README examples', () => {
  const cmds = readmeCommands();

  it('README has runnable examples (the demo and the main job at least)', () => {
    expect(cmds.map((c) => c[0])).toEqual(expect.arrayContaining(['demo', 'run']));
  });

  for (const args of cmds) {
    it(`trt-diff ${args.join(' ')}`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trtdiff-readme-'));
      try {
        fs.symlinkSync(path.join(ROOT, 'fixtures'), path.join(dir, 'fixtures'));
        const r = runCli(args, { cwd: dir });
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.status, r.stderr).toBe(0);
        // every output the command names exists afterwards
        for (const [i, a] of args.entries()) {
          if (['--json', '--html', '--junit'].includes(a) && args[i + 1] !== '-') expect(fs.existsSync(path.join(dir, args[i + 1]!)), args[i + 1]).toBe(true);
          if (a === '--dump') for (const f of ['fp32.arrow', 'int8.arrow']) expect(fs.existsSync(path.join(dir, args[i + 1]!, f)), f).toBe(true);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
