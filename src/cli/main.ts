#!/usr/bin/env node
// The CLI entry. It stays small on purpose: before anything heavy loads, it decides whether this
// process runs the command or relaunches itself with huge pages for the heap (huge-pages.ts).
import { relaunchWithHugePages } from './huge-pages.js';

if (!relaunchWithHugePages(process.argv.slice(2))) (await import('./cli.js')).runCli();
