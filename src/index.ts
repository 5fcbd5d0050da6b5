/**
 * trt-diff as a library: the same pipeline the CLI runs, one stage at a time.
 *
 *   const fp32 = loadModel('a.onnx'), int8 = loadModel('b.onnx');
 *   const result = await compareModels(fp32, [int8], { inputs: ['images/'] });
 *   const report = buildReport(result);          // rows, first divergence, per candidate
 *
 * Everything exported here is public API (semver); everything else under src/ is internal.
 */

// Models and tensors
export { loadModel, parseModel, saveModel, serializeModel, type OnnxModel } from './graph/onnx-model.js';
export { type Tensor, numel, toFloat32, tensorFromBytes } from './tensor/tensor.js';
export { type DType, type TypedArray, isFloatDType, dtypeBytes } from './tensor/dtype.js';
export { UserError, GateFailure } from './errors.js';

// Running models
export type { Runner, RunnerDescription, RunOptions, TensorInfo } from './runners/runner.js';
export { OrtRunner, type OrtRunnerOptions } from './runners/ort-runner.js';
export { samplesFrom, type Sample, type InputOptions } from './inputs/input-source.js';

// Comparing
export { pairModels, type Pairing, type TensorPair } from './compare/pairing.js';
export {
  compareModels,
  type CompareOptions,
  type ComparisonResult,
  type CandidateResult,
  type TensorRecord,
  type SampleObserver,
  type TensorObserver,
} from './compare/compare-models.js';
export type { MetricAccumulator } from './compare/metric-accumulator.js';
export {
  newAccumulator,
  accumulateArrays,
  accumulateTensors,
  mergeAccumulators,
  finalize,
  compareTensors,
  sqnrDb,
  type TensorMetrics,
} from './compare/metrics.js';
export { firstDivergence, DEFAULT_DIVERGENCE, type Divergence, type DivergenceOptions } from './analysis/first-divergence.js';
export { buildReport, type Report, type CandidateReport, type ReportRow } from './report/report.js';

// Dumps (Apache Arrow IPC files, one record batch per tensor)
export { openDump, type OpenDump, type DumpEntry, type DumpInfo } from './dump/arrow-dump-reader.js';

// Calibration (what TensorRT would do)
export {
  parseCalibrationCache,
  formatCalibrationCache,
  readCalibrationCache,
  writeCalibrationCache,
  scaleToHex,
  hexToScale,
  type CalibrationCache,
} from './quant/calibration-cache.js';
export { entropyThreshold, type EntropySearchOptions, type EntropySearchResult } from './quant/entropy-calibrator.js';

// Detection metrics
export { cocoMap, cocoIou, type GroundTruthBox, type PredictedBox, type MapOptions, type MapResult } from './detect/coco-map.js';
