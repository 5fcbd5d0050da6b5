import { defineConfig } from 'vitest/config';

/**
 * The unit suites Stryker runs for each mutant (`npm run mutation`, CI's mutation gate): fast,
 * in-process tests that pin the mutated modules of stryker.config.json with independent expectations.
 */
export default defineConfig({
  test: {
    include: ['test/quant/entropy-calibrator.test.ts', 'test/detect/verdict-rules.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
