import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { writeFileAtomic } from '../output/output-session.js';
import type { Report } from './report.js';
import type { HistogramsAnalysis } from './histogram-analysis.js';
import { buildOverlay, type Overlay } from './detection-overlay.js';
import { divergenceLine, verdictOf, type GateResult } from './gates.js';
import { jsonNumbers } from './format.js';
import { CLIENT_CSS, CLIENT_JS } from './html-client.js';
import { modelLabel } from './candidates-table.js';
import { at } from '../errors.js';

/** One table/chart row as the page sees it (short keys keep the embedded JSON small). */
export interface HtmlRow {
  order: number;
  name: string;
  op: string;
  shape: string;
  branch: string;
  sqnr: number;
  cosine: number;
  maxAbs: number;
  drop: number | null;
  origin: string;
  localSqnr: number | null;
}

export interface HtmlCandidate {
  path: string;
  label: string;
  verdict: string;
  /** Evidence lines and starting tensor of the detection-head verdict, when that analysis ran. */
  verdictEvidence: string[];
  verdictStart: string | null;
  firstDivergence: Report['candidates'][number]['firstDivergence'];
  /** divergenceLine(): first divergence, accumulation or none, in words. */
  divergence: string;
  outputSqnr: Record<string, number>;
  summary: Report['candidates'][number]['summary'];
  rows: HtmlRow[];
  histograms: HistogramsAnalysis | null;
}

export interface HtmlData {
  title: string;
  created: string;
  fp32: string;
  samples: string[];
  thresholds: Report['thresholds'];
  candidates: HtmlCandidate[];
  branches: string[];
  gates: GateResult[];
  overlay: Overlay | { note: string };
}


function headVerdictDetails(c: Report['candidates'][number]): { verdictEvidence: string[]; verdictStart: string | null } {
  const v = (c.analyses.head as { verdict?: { evidence?: unknown; start?: unknown } | null } | undefined)?.verdict;
  const evidence = Array.isArray(v?.evidence) ? v.evidence.filter((e): e is string => typeof e === 'string') : [];
  return { verdictEvidence: evidence, verdictStart: typeof v?.start === 'string' ? v.start : null };
}

function shortLabel(paths: string[]): string[] {
  const base = paths.map(modelLabel);
  return base.map((b, i) => (base.indexOf(b) === i && base.lastIndexOf(b) === i ? b : at(paths, i)));
}

async function htmlData(report: Report, gates: readonly GateResult[] = []): Promise<HtmlData> {
  const labels = shortLabel(report.candidates.map((c) => c.model.path));
  const branches = new Set<string>();
  const candidates = report.candidates.map((c, k): HtmlCandidate => ({
    path: c.model.path,
    label: at(labels, k),
    verdict: verdictOf(c),
    ...headVerdictDetails(c),
    firstDivergence: c.firstDivergence,
    divergence: divergenceLine(c),
    outputSqnr: c.summary.outputSqnrDb,
    summary: c.summary,
    histograms: (c.analyses.histograms as HistogramsAnalysis | undefined) ?? null,
    rows: c.rows.map((r) => {
      const branch = r.branch ?? ''; // set by the detection-head analysis
      if (branch) branches.add(branch);
      return {
        order: r.order, name: r.name, op: r.opType, shape: `[${r.shape.join(',')}]`, branch,
        sqnr: r.metrics.sqnrDb, cosine: r.metrics.cosine, maxAbs: r.metrics.maxAbs, drop: r.dropDb,
        origin: r.origin, localSqnr: r.local ? r.local.sqnrDb : null,
      };
    }),
  }));
  return {
    title: `trt-diff: ${labels.join(' / ')} vs ${path.basename(report.fp32.path)}`,
    created: report.created,
    fp32: report.fp32.path,
    samples: report.samples,
    thresholds: report.thresholds,
    candidates,
    branches: [...branches],
    gates: [...gates],
    overlay: await buildOverlay(report),
  };
}

const require = createRequire(import.meta.url);

/** uPlot's files, read from the installed package so the page needs no network. */
function uplotAssets(): { js: string; css: string } {
  const dir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return { js: fs.readFileSync(path.join(dir, 'uPlot.iife.min.js'), 'utf8'), css: fs.readFileSync(path.join(dir, 'uPlot.min.css'), 'utf8') };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Inside <script>, "</" would end the element; \u003c keeps the JSON equal after parsing. */
function scriptSafe(s: string): string {
  return s.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** One self-contained HTML file: data, uPlot and the page script inlined; nothing fetched at view time. */
function renderHtml(data: HtmlData): string {
  const { js, css } = uplotAssets();
  const json = JSON.stringify(data, jsonNumbers);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(data.title)}</title>
<style>${css}</style>
<style>${CLIENT_CSS}</style>
</head>
<body>
<div id="app"></div>
<script id="trtdiff-data" type="application/json">${scriptSafe(json)}</script>
<script>${js.replace(/<\/(script)/gi, '<\\/$1')}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

export async function writeHtmlReport(report: Report, file: string, gates: readonly GateResult[] = []): Promise<void> {
  writeFileAtomic(file, renderHtml(await htmlData(report, gates)));
}
