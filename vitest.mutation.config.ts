import { defineConfig } from 'vitest/config';

/**
 * The unit suites Stryker runs for each mutant (`npm run mutation`): fast, in-process tests of the
 * core modules, without the CLI, model-running and browser suites that the main config also runs.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.unit.test.ts', 'test/metrics.test.ts', 'test/quant/entropy-calibrator.test.ts', 'test/quant/histogram.test.ts', 'test/quant/calibration-cache.test.ts', 'test/dump.test.ts', 'test/graph.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
