import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hugePagesInPlaceReason } from '../../src/cli/huge-pages.js';
import { ROOT } from '../helpers/paths.js';

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
const thpMode = fs.existsSync(THP) ? /\[(\w+)\]/.exec(fs.readFileSync(THP, 'utf8'))?.[1] : undefined;

describe('huge pages for model-running commands (src/cli/huge-pages.ts)', () => {
  it('relaunches only model-running commands, only under THP madvise, never twice, and not when turned off', () => {
    expect(hugePagesInPlaceReason(['run', '--fp32', 'a.onnx'], {}, 'madvise')).toBeUndefined();
    expect(hugePagesInPlaceReason(['-q', 'demo'], {}, 'madvise')).toBeUndefined();
    expect(hugePagesInPlaceReason(['inspect', 'a.onnx'], {}, 'madvise')).toBe('command runs no model');
    expect(hugePagesInPlaceReason(['--help'], {}, 'madvise')).toBe('command runs no model');
    expect(hugePagesInPlaceReason(['run'], {}, 'always')).toBe('transparent huge pages: always');
    expect(hugePagesInPlaceReason(['run'], {}, 'unavailable')).toBe('transparent huge pages: unavailable');
    expect(hugePagesInPlaceReason(['run'], { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, 'madvise')).toBe('tunable already set');
    expect(hugePagesInPlaceReason(['run'], { TRTDIFF_HUGEPAGES: '0' }, 'madvise')).toBe('turned off (TRTDIFF_HUGEPAGES=0)');
  });

  // The relaunch itself: a script standing in for main.ts calls relaunchWithHugePages(['run']); the
  // relaunched copy reports its GLIBC_TUNABLES and exits 7, or waits for a signal and exits 128+15.
  const script = (dir: string, body: string) => {
    const f = path.join(dir, 'entry.mjs');
    fs.writeFileSync(f, `import { relaunchWithHugePages } from ${JSON.stringify(path.join(ROOT, 'src/cli/huge-pages.ts'))};
if (!relaunchWithHugePages(['run'])) { ${body} }\n`);
    return f;
  };
  const start = (f: string, env: NodeJS.ProcessEnv = {}) => {
    const { TRTDIFF_HUGEPAGES: _, GLIBC_TUNABLES: __, ...rest } = process.env;
    return spawn(process.execPath, ['--import', 'tsx', f], { cwd: ROOT, env: { ...rest, ...env } });
  };
  const finish = (c: ReturnType<typeof start>) => new Promise<{ code: number | null; out: string }>((resolve) => {
    let out = '';
    c.stdout!.on('data', (d) => { out += d; });
    c.on('close', (code) => resolve({ code, out }));
  });

  it.skipIf(thpMode !== 'madvise')(`relaunches with glibc.malloc.hugetlb=1, relays the exit status, and forwards SIGTERM (THP mode here: ${thpMode ?? 'none'})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trtdiff-thp-'));
    try {
      const env = await finish(start(script(dir, 'console.log(`pid=${process.pid} tunables=${process.env.GLIBC_TUNABLES}`); process.exitCode = 7;'), { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }));
      expect(env.code).toBe(7);
      expect(env.out).toMatch(/tunables=glibc\.malloc\.arena_max=2:glibc\.malloc\.hugetlb=1/);

      const off = await finish(start(script(dir, 'console.log(`tunables=${process.env.GLIBC_TUNABLES}`);'), { TRTDIFF_HUGEPAGES: '0' }));
      expect(off).toEqual({ code: 0, out: 'tunables=undefined\n' });

      const waiting = start(script(dir, `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(143); }); console.log('ready'); setInterval(() => {}, 1000);`));
      const done = finish(waiting);
      await new Promise<void>((r) => waiting.stdout!.on('data', (d) => { if (String(d).includes('ready')) r(); }));
      waiting.kill('SIGTERM'); // the launcher, which forwards it
      const r = await done;
      expect(r.code).toBe(143);
      expect(r.out).toContain('child got SIGTERM');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
  if (thpMode !== 'madvise') console.log(`huge-pages relaunch test skipped: transparent huge pages are "${thpMode ?? 'unavailable'}" here, not madvise`);
});
