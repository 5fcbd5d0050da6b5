import { dumpFileNames } from '../dump/dump-files.js';
import type { PlannedOutput } from '../output/output-plan.js';
import type { RunOptions } from './run-options.js';
import type { ReportOutputs } from './options.js';

/**
 * The output flags of `compare` as planned outputs (src/output/output-plan.ts): checked before the
 * work starts, renamed together at its end.
 */
export function reportOutputs(json: string | undefined, reports: ReportOutputs): PlannedOutput[] {
  return [{ flag: '--json', path: json }, { flag: '--html', path: reports.html }, { flag: '--junit', path: reports.junit }];
}

/** run and demo: the reports, the analyses' files, the --dump folder with its Arrow files, and the kept TensorRT engines. */
export function runOutputs(o: RunOptions): PlannedOutput[] {
  const { json, reports, polygraphyJson } = o.output;
  return [
    ...reportOutputs(json, reports),
    { flag: '--polygraphy-json', path: polygraphyJson },
    ...o.analyses.flatMap((an) => an.outputs),
    { flag: '--dump', path: o.dump, files: dumpFileNames(o.int8.length) },
    { flag: '--engine-dir', path: o.backend.kind === 'tensorrt' ? o.backend.engineDir : undefined, files: [], atCommit: false },
  ];
}

