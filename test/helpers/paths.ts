import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What a test may need that a user's clone may lack, decided here once, before any test runs:
 *   TRTDIFF_SHARED      the shared data folder (default ../shared beside the repo; empty: none, as on a user's clone)
 *   TRTDIFF_NO_PYTHON=1 act as if python3 were absent
 *   TRTDIFF_NO_NATIVE=1 act as if the native addon were not built (also honoured by src/native/addon.ts)
 *   TRTDIFF_REQUIRE     comma list of shared, python, native: where these must be present (CI), a test that
 *                       would skip for lack of one fails instead
 */
const REQUIRED = new Set((process.env.TRTDIFF_REQUIRE ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const printed = new Set<string>();

/**
 * A prerequisite is missing: returns the reason (printed once per test file) for the tests to skip
 * with, or throws where TRTDIFF_REQUIRE says it must be there, so that CI turns red instead of skipping.
 */
export function missing(what: 'shared' | 'python' | 'native', reason: string): string {
  if (REQUIRED.has(what)) throw new Error(`${what} is required here (TRTDIFF_REQUIRE=${process.env.TRTDIFF_REQUIRE}) but missing: ${reason}`);
  if (!printed.has(reason)) { printed.add(reason); console.log(`skipping tests that need ${what}: ${reason}`); }
  return reason;
}

const SHARED_ROOT = process.env.TRTDIFF_SHARED !== undefined ? process.env.TRTDIFF_SHARED : path.resolve(ROOT, '../shared');
export const SHARED = SHARED_ROOT === '' ? path.join(ROOT, '.no-shared-data') : path.resolve(SHARED_ROOT, 'data');
export const YOLO = {
  fp32: path.join(SHARED, 'yolov8n/yolov8n_fp32.onnx'),
  entropy: path.join(SHARED, 'yolov8n/yolov8n_int8_qdq_entropy.onnx'),
  qdqB: path.join(SHARED, 'yolov8n/yolov8n_int8_qdq_b.onnx'),
  collapsed: path.join(SHARED, 'yolov8n/yolov8n_int8_ort_minmax_collapsed.onnx'),
  bus: path.join(SHARED, 'images/bus.jpg'),
  zidane: path.join(SHARED, 'images/zidane.jpg'),
};
export const hasShared = fs.existsSync(YOLO.fp32);
/** Why the ../shared tests skip ('' when the data is there). */
export const sharedReason = hasShared ? '' : missing('shared', SHARED_ROOT === ''
  ? 'shared data hidden (TRTDIFF_SHARED is empty)'
  : `no shared data at ${SHARED} (a user's clone has none; set TRTDIFF_SHARED to its folder)`);

/** python3 with the given modules importable, or the reason why not (tests skip with it). */
export function pythonWith(...modules: string[]): { ok: boolean; reason: string } {
  const no = (reason: string) => ({ ok: false, reason: missing('python', reason) });
  if (process.env.TRTDIFF_NO_PYTHON) return no('python hidden (TRTDIFF_NO_PYTHON is set)');
  const r = spawnSync('python3', ['-c', modules.map((m) => `import ${m}`).join(';') || 'pass'], { encoding: 'utf8' });
  if (r.error) return no(`python3 not found (${r.error.message})`);
  if (r.status !== 0) return no(`python3 lacks ${modules.join(', ')}: ${r.stderr.trim().split('\n').pop()}`);
  return { ok: true, reason: '' };
}

export function tmpDir(prefix = 'trtdiff-'): string {
  return fs.mkdtempSync(path.join(ROOT, '.tmp', prefix).replace(/\/\.tmp\//, '/.tmp/'));
}

fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
