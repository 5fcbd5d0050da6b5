import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Paths the YOLOv8n benchmarks share, and the .npy inputs both trt-diff and the baselines read. */
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const DATA = path.resolve(ROOT, '../shared/data');
export const FP32 = path.join(DATA, 'yolov8n/yolov8n_fp32.onnx');
export const INT8 = path.join(DATA, 'yolov8n/yolov8n_int8_qdq_entropy.onnx');
export const OUT = path.join(ROOT, 'bench/results');
export const NPY = path.join(OUT, 'npy');
export const NPY_LIST = path.join(NPY, 'list.txt');

/**
 * At least `count` coco128 val2017 images letterboxed by trt-diff into .npy files (made once by
 * make-npy-inputs.ts, reused by later runs); returns the file list.
 */
export function ensureNpyInputs(count: number): string[] {
  fs.mkdirSync(OUT, { recursive: true });
  if (!fs.existsSync(NPY_LIST) || fs.readFileSync(NPY_LIST, 'utf8').trim().split('\n').length < count) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/make-npy-inputs.ts'), FP32, path.join(DATA, 'coco128/images/val2017'), String(count), NPY], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) throw new Error('make-npy-inputs failed');
  }
  return fs.readFileSync(NPY_LIST, 'utf8').trim().split('\n');
}
