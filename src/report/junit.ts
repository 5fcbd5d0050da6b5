import * as path from 'node:path';
import { writeFileAtomic } from '../output/output-session.js';
import type { GateResult } from './gates.js';

/**
 * Text for an XML 1.0 attribute or element. Characters XML 1.0 forbids even as references (C0
 * controls but tab/LF/CR, lone surrogates, U+FFFE, U+FFFF) are written as the visible text
 * "\\uXXXX", so a tensor name holding one keeps the file well-formed; tab, LF and CR become
 * character references so attribute values keep them.
 */
function xml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one <testsuite> per
 * candidate model, one <testcase> per gate, a <failure> with the measured value when it fails.
 * @internal
 */
export function junitXml(results: readonly GateResult[], seconds = 0): string {
  const byCandidate = new Map<string, GateResult[]>();
  for (const r of results) byCandidate.set(r.candidate, [...(byCandidate.get(r.candidate) ?? []), r]);
  const failures = results.filter((r) => !r.passed).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="trt-diff" tests="${results.length}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">`,
  ];
  for (const [cand, rs] of byCandidate) {
    const f = rs.filter((r) => !r.passed).length;
    const suite = path.basename(cand);
    lines.push(`  <testsuite name="${xml(suite)}" tests="${rs.length}" failures="${f}" errors="0" skipped="0">`);
    lines.push(`    <properties><property name="model" value="${xml(cand)}"/></properties>`);
    for (const r of rs) {
      const open = `    <testcase classname="trt-diff.${xml(suite)}" name="${xml(r.gate)}"`;
      if (r.passed) {
        lines.push(`${open}><system-out>${xml(r.message)}</system-out></testcase>`);
      } else {
        lines.push(`${open}>`);
        lines.push(`      <failure message="${xml(`${r.gate}: ${r.message}`)}" type="GateFailure">${xml(r.message)}</failure>`);
        lines.push('    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

export function writeJunit(file: string, results: readonly GateResult[], seconds = 0): void {
  writeFileAtomic(file, junitXml(results, seconds));
}
