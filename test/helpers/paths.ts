import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared/data');
export const YOLO = {
  fp32: path.join(SHARED, 'yolov8n/yolov8n_fp32.onnx'),
  entropy: path.join(SHARED, 'yolov8n/yolov8n_int8_qdq_entropy.onnx'),
  qdqB: path.join(SHARED, 'yolov8n/yolov8n_int8_qdq_b.onnx'),
  collapsed: path.join(SHARED, 'yolov8n/yolov8n_int8_ort_minmax_collapsed.onnx'),
  bus: path.join(SHARED, 'images/bus.jpg'),
  zidane: path.join(SHARED, 'images/zidane.jpg'),
};
export const hasShared = fs.existsSync(YOLO.fp32);

/** python3 with the given modules importable, or the reason why not (tests skip with it). */
export function pythonWith(...modules: string[]): { ok: boolean; reason: string } {
  const r = spawnSync('python3', ['-c', modules.map((m) => `import ${m}`).join(';') || 'pass'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `python3 not found (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `python3 lacks ${modules.join(', ')}: ${r.stderr.trim().split('\n').pop()}` };
  return { ok: true, reason: '' };
}

export function tmpDir(prefix = 'trtdiff-'): string {
  return fs.mkdtempSync(path.join(ROOT, '.tmp', prefix).replace(/\/\.tmp\//, '/.tmp/'));
}

fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
