import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError, errorMessage, at } from '../errors.js';
import type { OnnxModel } from '../graph/onnx-model.js';
import { QDQ_OPS } from '../graph/qdq.js';
import { loadNative, type NativeBuildOptions, type NativeBuildReport } from '../native/addon.js';
import { buildLayerMap, writeLayerMap, type LayerMap } from './layer-map.js';
import { loadEngine, trtUnavailableReason } from './trt-runner.js';
import { log } from '../log.js';
import { graphOf } from '../graph/onnx-model.js';

/** What to expose of the network: every layer (debug tensors where TensorRT has them, else outputs), debug tensors, marked outputs, or nothing. */
export type Expose = 'all' | 'debug' | 'outputs' | 'none';

export interface EngineBuildRequest {
  model: OnnxModel;
  enginePath: string;
  /** INT8: a Q/DQ model (TensorRT 10 and 11), or with `calibrationCache` an FP32 one (TensorRT 10 implicit INT8). */
  int8: boolean;
  calibrationCache?: string;
  expose: Expose;
  /** Shapes for inputs with dynamic dims. */
  inputShapes?: Record<string, number[]>;
}

export interface EngineBuildResult {
  enginePath: string;
  layerMapPath: string;
  layerMap: LayerMap;
  report: NativeBuildReport;
}

export function hasQdq(model: OnnxModel): boolean {
  return graphOf(model.proto).node.some((n) => QDQ_OPS.has(n.opType));
}

/**
 * An INT8 build must actually be INT8: a model without Q/DQ nodes needs a calibration cache
 * (TensorRT 10 implicit INT8), else TensorRT would build FP32 and the comparison would be FP32 vs FP32.
 */
export function checkInt8Source(model: OnnxModel, calibrationCache: string | undefined, flag = '--trt-cache'): void {
  if (hasQdq(model) || calibrationCache) return;
  throw new UserError(`has no Q/DQ nodes, so TensorRT would build it as FP32: give a calibration cache (${flag}, TensorRT 10 implicit INT8) or quantize it with Q/DQ nodes`, model.path);
}

/**
 * Parses `--shapes name:1x3x640x640` (repeatable, or comma-separated) into input shapes. Dims are
 * positive integers.
 */
export function parseShapes(specs: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs.flatMap((s) => s.split(','))) {
    const m = /^(.+):(\d+(?:x\d+)*)$/.exec(spec.trim());
    const dims = m ? at(m, 2).split('x').map(Number) : [];
    if (!m || dims.some((d) => d < 1)) throw new UserError(`--shapes "${spec}": write input:DIMS with positive dims, e.g. images:1x3x640x640`);
    out[at(m, 1)] = dims;
  }
  return out;
}

/** Every dynamic input needs a shape; names that are not inputs are refused. One UserError otherwise. */
function checkInputShapes(model: OnnxModel, shapes: Record<string, number[]>): void {
  const g = graphOf(model.proto);
  const init = new Set(g.initializer.map((t) => t.name));
  const inputs = g.input.filter((v) => !init.has(v.name));
  for (const name of Object.keys(shapes)) {
    if (!inputs.some((v) => v.name === name)) throw new UserError(`--shapes names ${name}, which is not an input (inputs: ${inputs.map((v) => v.name).join(', ')})`, model.path);
  }
  for (const v of inputs) {
    const tt = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    const dims = tt?.shape?.dim ?? [];
    const dynamic = dims.some((d) => d.value.case !== 'dimValue' || d.value.value < 1n);
    const given = shapes[v.name];
    if (dynamic && !given) throw new UserError(`input ${v.name} has dynamic dims [${dims.map((d) => (d.value.case === 'dimValue' ? String(d.value.value) : d.value.value ?? '?')).join(',')}]: give its shape with --shapes ${v.name}:${dims.map((d) => (d.value.case === 'dimValue' && d.value.value > 0n ? String(d.value.value) : 'N')).join('x')}`, model.path);
    if (given && given.length !== dims.length && dims.length > 0) throw new UserError(`--shapes ${v.name}: ${given.length} dims for a rank-${dims.length} input`, model.path);
  }
}

// One build at a time per GPU: builds in this process queue here; across processes, a lock file.
let queue: Promise<unknown> = Promise.resolve();

function lockPath(): string {
  const device = at((process.env['CUDA_VISIBLE_DEVICES'] ?? '0').split(','), 0).trim() || '0';
  return path.join(os.tmpdir(), `trt-diff-build-gpu${device.replace(/[^\w-]/g, '_')}.lock`);
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

async function withGpuLock<T>(what: string, work: () => Promise<T>): Promise<T> {
  const file = lockPath();
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`cannot create the build lock (${errorMessage(e)})`, file);
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) { fs.rmSync(file, { force: true }); continue; }
      if (!announced) log.warn(`trt-diff: waiting for another TensorRT build on this GPU (pid ${holder}, ${file}) before building ${what}`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Runs `work` after every build queued before it in this process, and while holding the GPU's build lock. */
function oneBuildAtATime<T>(what: string, work: () => Promise<T>): Promise<T> {
  const next = queue.then(() => withGpuLock(what, work));
  queue = next.catch(() => undefined);
  return next;
}

/**
 * Builds an engine from an ONNX model with the native addon, one build at a time per GPU, written
 * atomically (temp file, renamed when complete), then writes its layer map beside it.
 */
export async function buildEngine(req: EngineBuildRequest): Promise<EngineBuildResult> {
  const why = trtUnavailableReason();
  const addon = loadNative().addon;
  if (why || !addon?.buildEngine) throw new UserError(`TensorRT backend not available: ${why ?? 'the addon has no engine builder'}`, req.model.path);
  if (req.int8) checkInt8Source(req.model, req.calibrationCache, '--cache');
  checkInputShapes(req.model, req.inputShapes ?? {});
  const dir = path.dirname(path.resolve(req.enginePath));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(req.enginePath)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const options: NativeBuildOptions = {
    onnxPath: req.model.path, enginePath: tmp, int8: req.int8,
    ...(req.int8 && !hasQdq(req.model) && req.calibrationCache ? { calibrationCache: req.calibrationCache } : {}),
    capture: req.expose === 'all' ? 'auto' : req.expose,
    ...(req.inputShapes && Object.keys(req.inputShapes).length > 0 ? { inputShapes: req.inputShapes } : {}),
  };
  return oneBuildAtATime(req.enginePath, async () => {
    try {
      let report: NativeBuildReport;
      try {
        report = await addon.buildEngine!(options);
      } catch (e) {
        throw new UserError(`TensorRT could not build an engine: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}`, req.model.path);
      }
      const engine = await loadEngine(tmp);
      let layerMap: LayerMap;
      try {
        const d = engine.describe();
        layerMap = buildLayerMap({
          enginePath: tmp, model: req.model, capture: report.capture, tensorrtVersion: d.tensorrtVersion,
          inspectorJson: engine.inspect(), outputs: d.io.filter((t) => t.mode === 'output').map((t) => t.name),
        });
      } finally {
        engine.close();
      }
      fs.renameSync(tmp, req.enginePath);
      const layerMapPath = writeLayerMap(req.enginePath, layerMap);
      return { enginePath: req.enginePath, layerMapPath, layerMap, report };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  });
}
