import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { MetricAccumulator } from '../compare/metric-accumulator.js';

/**
 * Loader of the optional native addon (native/, cuda/; built by `npm run build:native`).
 * Like sharp, it tries each candidate path and keeps every load error, so that "why is the native
 * path off?" has an answer; unlike sharp, absence is normal: callers fall back to the pure-TS code
 * (src/compare/metrics.ts) and the ONNX Runtime runner.
 */

export interface CudaCapabilities {
  built: boolean;
  available: boolean;
  devices: number;
  /** cudaGetDeviceCount's error string, e.g. "no CUDA-capable device is detected". */
  error?: string;
  /** CUDART_VERSION of the statically linked runtime (13000 = 13.0). */
  runtimeVersion?: number;
  driverVersion?: number;
  deviceNames?: string[];
}

export interface TensorRtCapabilities {
  built: boolean;
  /** Version of the headers the addon was compiled against. */
  version?: string;
  /** Version of the libnvinfer loaded at run time. */
  runtimeVersion?: string;
}

export interface Capabilities {
  cuda: CudaCapabilities;
  tensorrt: TensorRtCapabilities;
}

export interface NativeIoTensor {
  name: string;
  mode: 'input' | 'output';
  dtype: string;
  shape: number[];
  format: string;
}

export interface NativeEngineDescription {
  tensorrtVersion: string;
  /** Ultralytics JSON header of the .engine file, or "". */
  metadata: string;
  io: NativeIoTensor[];
}

/** A tensor crossing the addon boundary: raw little-endian bytes. */
export interface NativeTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export interface NativeEngine {
  describe(): NativeEngineDescription;
  /** Engine outputs, then the debug tensors the engine produced during this inference. */
  infer(feeds: NativeTensor[]): Promise<NativeTensor[]>;
  /** Engine inspector JSON (layer list; detailed when built with ProfilingVerbosity::kDETAILED). */
  inspect(): string;
  close(): void;
}

export interface NativeBuildOptions {
  onnxPath: string;
  enginePath: string;
  int8?: boolean;
  calibrationCache?: string;
  capture?: 'auto' | 'outputs' | 'debug' | 'none';
  inputShapes?: Record<string, number[]>;
  workspaceBytes?: number;
}

export interface NativeBuildReport {
  enginePath: string;
  capture: 'outputs' | 'debug' | 'none';
  markedTensors: number;
  messages: string[];
}

export interface NativeAddon {
  capabilities(): Capabilities;
  /** CPU fast path of accumulateArrays for two Float32Arrays; a fresh accumulator. */
  compareF32(ref: Float32Array, test: Float32Array): MetricAccumulator;
  /** compareF32 against 8-bit integers taken as DequantizeLinear's float (q − zeroPoint) · scale. */
  compareQ8(ref: Float32Array, test: Int8Array | Uint8Array, scale: number, zeroPoint: number): MetricAccumulator;
  histogramBins: number;
  /**
   * The calibrators' right-closed |x| histogram add (src/quant/histogram.ts AbsHistogram.add, bit
   * for bit; native/calibration_stats.h): adds data's counts to `counts` in place.
   */
  calibrationHistogramAdd(counts: Float64Array, invWidth: number, data: Float32Array): void;
  /** [min, max, nonFinite] of the finite elements (±Inf for min/max when none): foldMinMax's scan. */
  finiteRange(data: Float32Array): Float64Array;
  /** Adds finite |x| of `data` to `counts` (in place) and returns the possibly doubled range max. */
  histogramUpdate(counts: Float64Array, rangeMax: number, data: Float32Array): number;
  /**
   * Keep freed heap memory for the process's next allocations (glibc thresholds fixed; see
   * native/memory_policy.cpp). null when applied, else why not.
   */
  retainFreedMemory(): string | null;
  /** Frees an ArrayBuffer's memory now (it becomes detached, length 0); false if already detached. */
  releaseBuffer(buffer: ArrayBuffer): boolean;
  /** Present when built with CUDA; rejects with the CUDA error when no device is usable. */
  compareF32Cuda?(ref: Float32Array, test: Float32Array): Promise<MetricAccumulator>;
  /** Present when built with TensorRT. */
  TrtEngine?: { load(enginePath: string): Promise<NativeEngine> };
  buildEngine?(options: NativeBuildOptions): Promise<NativeBuildReport>;
}

export interface NativeLoadResult {
  addon: NativeAddon | undefined;
  /** One entry per candidate tried, "path: reason"; empty when the first candidate loaded. */
  errors: string[];
}

const ADDON_FILE = 'trt_diff_native.node';

/** Package root: this file sits at src/native/ (tests) or dist/native/ (built package). */
function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Where the addon may be, in order: an explicit override, then cmake-js' Release and Debug outputs. */
function candidatePaths(): string[] {
  const root = packageRoot();
  const fromEnv = process.env['TRT_DIFF_NATIVE'];
  return [
    ...(fromEnv ? [path.resolve(fromEnv)] : []),
    path.join(root, 'build', 'Release', ADDON_FILE),
    path.join(root, 'build', 'Debug', ADDON_FILE),
  ];
}

let cached: NativeLoadResult | undefined;

/** Loads the addon once; never throws. */
export function loadNative(): NativeLoadResult {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const candidate of candidatePaths()) {
    if (!existsSync(candidate)) {
      errors.push(`${candidate}: not built (run npm run build:native)`);
      continue;
    }
    try {
      cached = { addon: require(candidate) as NativeAddon, errors };
      return cached;
    } catch (e) {
      errors.push(`${candidate}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  cached = { addon: undefined, errors };
  return cached;
}

/** The addon's CPU fast paths: same results as the TypeScript code they stand in for. */
export type NativeFastPath = 'compareF32' | 'compareQ8' | 'calibrationHistogramAdd' | 'finiteRange' | 'releaseBuffer';
const fastPaths = new Map<NativeFastPath, unknown>();

/**
 * A CPU fast path of the addon, bound, or null when the addon is not built or TRTDIFF_NO_NATIVE=1
 * (which forces the TypeScript code everywhere, e.g. to compare the two).
 */
export function nativeFastPath<K extends NativeFastPath>(key: K): NativeAddon[K] | null {
  if (!fastPaths.has(key)) {
    const addon = process.env.TRTDIFF_NO_NATIVE ? undefined : loadNative().addon;
    const fn = addon?.[key] as ((...args: never[]) => unknown) | undefined;
    fastPaths.set(key, fn ? fn.bind(addon) : null);
  }
  return fastPaths.get(key) as NativeAddon[K] | null;
}

/** Arrays at least this long go to the addon's fast paths; below, the call costs more than it saves. */
export const NATIVE_MIN_ELEMENTS = 4096;

/** The fast path for `data` when it is a Float32Array long enough to be worth the call, else null. */
export function nativeFastPathFor<K extends Exclude<NativeFastPath, 'compareF32' | 'compareQ8' | 'releaseBuffer'>>(key: K, data: ArrayLike<number>): NativeAddon[K] | null {
  return data instanceof Float32Array && data.length >= NATIVE_MIN_ELEMENTS ? nativeFastPath(key) : null;
}

/**
 * Capabilities of the loaded addon, or of its absence (with the reasons). Read by .ci/run from
 * dist/ after the native build (a caller knip cannot see).
 * @public
 */
export function nativeCapabilities(): Capabilities & { addon: boolean; errors: string[] } {
  const { addon, errors } = loadNative();
  if (addon) return { addon: true, errors, ...addon.capabilities() };
  const reason = errors.join('; ');
  return {
    addon: false,
    errors,
    cuda: { built: false, available: false, devices: 0, error: `native addon not loaded: ${reason}` },
    tensorrt: { built: false },
  };
}
