/**
 * Fuzz settings: a fixed seed and a modest number of cases in CI, more on demand:
 *   FUZZ_RUNS=20000 FUZZ_SEED=$RANDOM npx vitest run test/fuzz
 * (bench/README.md records the longer runs). FUZZ_CLI_RUNS scales the CLI fuzz separately, since
 * each of its cases spawns a process.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20240607);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
export const FUZZ_CLI_RUNS = Number(process.env.FUZZ_CLI_RUNS ?? 12);

/** Printed by each property so a run's log says how many cases ran with which seed. */
export function reportCases(name: string, cases: number): void {
  process.stdout.write(`fuzz ${name}: ${cases} cases, seed ${FUZZ_SEED}\n`);
}
