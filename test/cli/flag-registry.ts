/**
 * Flags that tests run through a command's handler (argv objects) rather than on a command line:
 * flag (or "command --flag") → the test files that do, each of which must mention the flag's key.
 * Flags passed on a command line in some test need no entry (flag-coverage.test.ts finds them).
 */
export const FLAG_TESTS: Record<string, string[]> = {
  '--batch': ['quant/cli.test.ts', 'quant-sweep/calibration-sweep.test.ts'],
  '--calibrator': ['quant/cli.test.ts'],
  '--percentile': ['quant/cli.test.ts'],
  '--placement': ['quant/cli.test.ts'],
  '--trt-version': ['quant/cli.test.ts'],
  '--qdq': ['quant/cli.test.ts'],
  '--cache': ['quant/cli.test.ts'],
  '--sweep': ['quant-sweep/calibration-sweep.test.ts'],
  '--keep': ['quant-sweep/calibration-sweep.test.ts'],
  '--eval': ['quant/yolo-calibrators.test.ts'],
  '--calibrators': ['quant/yolo-calibrators.test.ts'],
  '--break-db': ['quant/yolo-calibrators.test.ts'],
  '--out': ['quant/yolo-calibrators.test.ts', 'quant/cli.test.ts'],
  '--model': ['quant/cli.test.ts'],
  '--fail-on-hazard': ['detect/hazard-lint.test.ts'],
  '--range-ratio': ['detect/hazard-lint.test.ts'],
};
