import { dumpFileNames } from '../dump/dump-files.js';
import type { PlannedOutput } from '../output/output-plan.js';

/**
 * The output flags the report commands share (run, demo, compare), as planned outputs
 * (src/output/output-plan.ts): checked before the work starts, renamed together at its end.
 */
export function reportOutputs(a: Record<string, unknown>): PlannedOutput[] {
  const file = (flag: string): PlannedOutput => ({ flag: `--${flag}`, path: a[flag] as string | undefined });
  return [file('json'), file('html'), file('junit'), file('polygraphy-json'), file('save-detections')];
}

/** run and demo: the reports, the --dump folder with its Arrow files, and the kept TensorRT engines. */
export function runOutputs(a: Record<string, unknown>): PlannedOutput[] {
  const int8 = (a.int8 as string[] | undefined) ?? [];
  return [
    ...reportOutputs(a),
    { flag: '--dump', path: a.dump as string | undefined, files: dumpFileNames(int8.length) },
    { flag: '--engine-dir', path: a['engine-dir'] as string | undefined, files: [], atCommit: false },
  ];
}

