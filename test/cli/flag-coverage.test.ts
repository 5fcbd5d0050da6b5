import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { FLAG_TESTS } from './flag-registry.js';

/**
 * Every flag that `--help` documents, for every command `trt-diff --help` lists, must be run by a
 * test: either a test file passes it on a command line ('--flag' or '--no-flag' as a literal), or
 * flag-registry.ts names the test that runs it through the command's handler, and that file
 * mentions it. The fuzz suites do not count (they check that a flag does not crash, not what it
 * does). A new flag without a test fails here, naming the command and the flag.
 */
const TEST_DIR = path.join(ROOT, 'test');
const SELF = new Set(['cli/flag-coverage.test.ts', 'cli/flag-registry.ts']);

function testFiles(dir: string, rel = ''): { rel: string; text: string }[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) return r === 'fuzz' ? [] : testFiles(path.join(dir, e.name), r);
    return /\.ts$/.test(e.name) && !SELF.has(r) ? [{ rel: r, text: fs.readFileSync(path.join(dir, e.name), 'utf8') }] : [];
  });
}

/** Flags in one command's --help (long names), global ones included. */
function helpFlags(help: string): string[] {
  return [...new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!))];
}

describe('every documented flag is run by a test', () => {
  const top = runCli(['--help']);
  const commands = [...top.stdout.matchAll(/^\s+trt-diff (\w+)/gm)].map((m) => m[1]!);
  const files = testFiles(TEST_DIR);

  it('trt-diff --help lists the commands and --version prints one', () => {
    expect(commands).toEqual(expect.arrayContaining(['run', 'compare', 'inspect', 'demo', 'bisect', 'sensitivity', 'lint', 'calibrate', 'simulate', 'calibrators', 'convert']));
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('for each command', () => {
    const missing: string[] = [];
    for (const cmd of commands) {
      const help = runCli([cmd, '--help']);
      expect(help.status, `${cmd} --help`).toBe(0);
      for (const flag of helpFlags(help.stdout)) {
        if (flag === '--help' || flag === '--version') continue; // run above
        const bare = flag.slice(2);
        const onCommandLine = files.some((f) => f.text.includes(`'${flag}'`) || f.text.includes(`'--no-${bare}'`));
        const registered = (FLAG_TESTS[`${cmd} ${flag}`] ?? FLAG_TESTS[flag] ?? []).filter((rel) => {
          const f = files.find((x) => x.rel === rel);
          return f && (f.text.includes(`'${bare}'`) || f.text.includes(` ${bare}:`) || f.text.includes(`'${flag}'`));
        });
        if (!onCommandLine && registered.length === 0) missing.push(`${cmd} ${flag}`);
      }
    }
    expect(missing, `flags no test runs (add a test, or name the handler-level test in test/cli/flag-registry.ts)`).toEqual([]);
  });
});
