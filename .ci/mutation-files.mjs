// Per-file mutation scores from Stryker's JSON report (stryker.config.json jsonReporter): Stryker's
// own break threshold judges the total; this judges each mutated file, so that one well-tested
// module cannot carry a weak one. Score = (killed + timeout) / (killed + timeout + survived + no coverage).
import { readFileSync } from 'node:fs';

const BREAK = 85;
const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-artifacts/mutation.json', 'utf8'));
let failed = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const n = (s) => mutants.filter((m) => m.status === s).length;
  const detected = n('Killed') + n('Timeout');
  const valid = detected + n('Survived') + n('NoCoverage');
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  const ok = score >= BREAK;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${score.toFixed(2).padStart(6)}%  ${file} (${detected}/${valid})`);
}
if (failed) {
  console.log(`${failed} file(s) under ${BREAK}%`);
  process.exit(1);
}
