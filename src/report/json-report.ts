import { writeFileAtomic } from '../output/output-session.js';
import { jsonNumbers } from './format.js';
import type { Report } from './report.js';

/** --json: the whole report; non-finite numbers as "inf"/"-inf"/"nan" (docs/metrics.md). */
export function reportToJson(report: Report): string {
  return JSON.stringify(report, jsonNumbers, 2);
}

export function writeJsonReport(report: Report, file: string): void {
  writeFileAtomic(file, reportToJson(report) + '\n');
}
