import { defineConfig } from 'vitest/config';

/**
 * The unit suites Stryker runs for each mutant (`npm run mutation`, CI's mutation gate): fast,
 * in-process tests that pin the mutated modules of stryker.config.json with independent
 * expectations (closed-form cases, hand-computed numbers), never the code's own output.
 */
export default defineConfig({
  test: {
    include: [
      'test/compare/metrics-closed-form.test.ts',
      'test/compare/metrics.test.ts',
      'test/analysis/first-divergence.test.ts',
      'test/detect/verdict-rules.test.ts',
      'test/quant/entropy-calibrator.test.ts',
      'test/quant/calibrators.test.ts',
      'test/quant/histogram.test.ts',
      'test/graph/qdq.test.ts',
    ],
    // The TypeScript passes are what is mutated: the addon's CPU passes (checked equal to them by
    // test/native/native.test.ts) stay off, so every run measures the same code with or without a build.
    env: { TRTDIFF_NO_NATIVE: '1' },
    pool: 'forks',
    maxWorkers: 2,
  },
});
