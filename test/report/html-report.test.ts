import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { PairHistogram, HIST_BINS } from '../../src/report/tensor-histograms.js';
import { compareSourceFiles } from '../../src/compare/compare-dumps.js';
import { buildReport } from '../../src/report/report.js';
import { writeHtmlReport } from '../../src/report/html-report.js';
import { ROOT, YOLO, hasShared, tmpDir } from '../helpers/paths.js';
import { chromiumMissing, launch } from './browser.js';
import { cli, closedFormDumps } from './fixtures.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');

describe('PairHistogram', () => {
  it('growing the range keeps counts equal to binning every value at the final range', () => {
    // Golden-ratio sequences: values spread evenly but never on a bin edge, where binning at the
    // first width and then merging could round differently from binning at the final width.
    const seq = (n: number, lo: number, hi: number, seed: number) => Float64Array.from({ length: n }, (_, i) => lo + ((seed + i * 0.6180339887498949) % 1) * (hi - lo));
    const a = Float64Array.from([-0.25, 0.75, ...seq(1000, -0.25, 0.75, 0.1)]); // first range exactly [-0.25, 0.75]
    const b = seq(500, 0, 2.25, 0.2); // up to 2.25: width doubles twice, anchored low
    const c = seq(300, -1.5, 0, 0.3); // down to -1.5: doubles once more, anchored high
    const h = new PairHistogram();
    h.add(a, a); h.add(b, b); h.add(c, c);
    // First width: the data's 1.0 plus one spare bin (64/63); then ×4 anchored low, ×2 anchored high.
    const w0 = 64 / 63;
    expect(h.hi).toBeCloseTo(-0.25 + 4 * w0, 12);
    expect(h.lo).toBeCloseTo(-0.25 + 4 * w0 - 8 * w0, 12);
    const direct = new Float64Array(HIST_BINS);
    for (const v of [...a, ...b, ...c]) direct[Math.min(HIST_BINS - 1, Math.floor(((v - h.lo) / (h.hi - h.lo)) * HIST_BINS))]++;
    expect(Array.from(h.ref)).toEqual(Array.from(direct));
    expect(Array.from(h.test)).toEqual(Array.from(direct));
    expect(h.ref.reduce((s, x) => s + x, 0)).toBe(1802);
  });

  it('keeps non-finite values out of the bins and counts them', () => {
    const h = new PairHistogram();
    h.add(Float32Array.from([1, 2, NaN]), Float32Array.from([1, Infinity, 3]));
    expect(h.nonFiniteRef).toBe(1);
    expect(h.nonFiniteTest).toBe(1);
    expect(h.ref.reduce((s, x) => s + x, 0)).toBe(2);
    expect(h.test.reduce((s, x) => s + x, 0)).toBe(2);
  });
});

async function openReport(browser: Browser, file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1320, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!/^(file|data):/.test(r.url())) requests.push(r.url()); });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 20_000 });
  return { page, errors, requests };
}

/** Non-transparent pixels of the first canvas inside `selector`. */
async function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.$eval(`${selector} canvas`, (c) => {
    const cv = c as HTMLCanvasElement;
    const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  });
}

async function columnValues(page: Page, key: string): Promise<string[]> {
  const idx = await page.$$eval('#tensor-table thead th', (ths, k) => ths.findIndex((t) => t.getAttribute('data-key') === k), key);
  return page.$$eval(`#tensor-table tbody tr td:nth-child(${idx + 1})`, (tds) => tds.map((t) => t.textContent ?? ''));
}

describe.skipIf(!!chromiumMissing)('HTML report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch();
  });
  afterAll(async () => { await browser?.close(); });
  if (chromiumMissing) console.log(chromiumMissing);

  it.skipIf(!hasShared)('YOLOv8n FP32 vs Q/DQ (entropy): loads clean, charts drawn, table sorts, histograms exact; screenshot kept', async () => {
    const dir = tmpDir();
    const html = path.join(dir, 'report.html');
    const json = path.join(dir, 'report.json');
    const r = cli(['run', '--fp32', YOLO.fp32, '--int8', YOLO.entropy, '--input', YOLO.bus, '--html', html, '--json', json, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    // Histograms cover every value of each tensor: counts + non-finite = element count (one image).
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const cand = report.candidates[0];
    const hist = cand.analyses.histograms;
    expect(hist.worst.length).toBe(12);
    const sqnrs = hist.worst.map((h: { sqnrDb: number }) => h.sqnrDb);
    expect(sqnrs).toEqual([...sqnrs].sort((a: number, b: number) => a - b));
    expect(sqnrs[0]).toBe(cand.summary.worstSqnrDb);
    for (const h of hist.worst) {
      const row = cand.rows.find((x: { name: string }) => x.name === h.tensor);
      const numel = row.shape.reduce((a: number, b: number) => a * b, 1);
      expect(h.ref.reduce((a: number, b: number) => a + b, 0) + h.nonFinite.ref).toBe(numel);
      expect(h.test.reduce((a: number, b: number) => a + b, 0) + h.nonFinite.test).toBe(numel);
      if (h.clip) expect(h.clip.hi - h.clip.lo).toBeCloseTo(255 * h.clip.scale, 9);
    }
    expect(hist.worst.some((h: { clip?: unknown }) => h.clip)).toBe(true);

    const { page, errors, requests } = await openReport(browser, html);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(await inkedPixels(page, '#sqnr-chart')).toBeGreaterThan(5000);
    expect(await inkedPixels(page, '#cosine-chart')).toBeGreaterThan(5000);
    expect(await page.$$eval('.hist canvas', (c) => c.length)).toBe(12);
    expect(await page.textContent('#verdicts')).toContain(cand.firstDivergence.tensor);
    // Detection overlay: one box per FP32 and INT8 detection of the first image (head analysis).
    const dets = cand.analyses.head.detections;
    expect(dets.fp32.length).toBeGreaterThan(0);
    expect(await page.$$eval('#overlay svg rect', (r) => r.length)).toBe(dets.fp32.length + dets.int8.length);

    const order = await columnValues(page, 'order');
    expect(order.map(Number)).toEqual([...order.map(Number)].sort((a, b) => a - b));
    await page.click('#tensor-table th[data-key="sqnr"]');
    const asc = (await columnValues(page, 'sqnr')).map(Number);
    expect(asc.length).toBe(cand.rows.length);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(asc[0]).toBeCloseTo(cand.summary.worstSqnrDb, 1);
    await page.click('#tensor-table th[data-key="sqnr"]');
    const desc = (await columnValues(page, 'sqnr')).map((s) => (s === 'inf' ? Infinity : Number(s)));
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await page.click('#tensor-table th[data-key="order"]');
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-yolov8n.png'), fullPage: true });
    await page.close();
  });

  it('calibrator A/B (one curve per candidate) and the detection overlay when the head analysis exposes boxes', async () => {
    const dir = tmpDir();
    const { ref, cands } = closedFormDumps(dir, { t0: [0.001, 0.01], t1: [0.05, 0.2], t2: [0.02, 0.3] });
    const report = buildReport(await compareSourceFiles(ref, cands));
    // The shape docs/reports.md asks the detection-head analysis to expose (boxes in image pixels).
    report.candidates.forEach((c, k) => {
      c.analyses.head = { verdict: { verdict: k ? 'classness collapse' : 'ok', evidence: [], start: null }, detections: {
        image: YOLO.bus,
        fp32: [{ box: [50, 400, 250, 900], score: 0.9, label: 'person' }, { box: [10, 230, 800, 750], score: 0.84, label: 'bus' }],
        int8: k ? [] : [{ box: [52, 398, 251, 905], score: 0.88, label: 'person' }],
      } };
    });
    const html = path.join(dir, 'ab.html');
    await writeHtmlReport(report, html);
    const { page, errors } = await openReport(browser, html);
    expect(errors).toEqual([]);
    const legend = await page.$$eval('#sqnr-chart .u-legend .u-series', (s) => s.map((x) => x.textContent ?? ''));
    expect(legend.filter((l) => /cand[01]\.onnx/.test(l))).toHaveLength(2);
    expect(await page.textContent('#verdicts')).toMatch(/ok[\s\S]*classness collapse/);
    if (fs.existsSync(YOLO.bus)) {
      expect(await page.$$eval('#overlay svg rect', (r) => r.length)).toBe(3);
      const w = await page.$eval('#overlay img', (i) => (i as HTMLImageElement).naturalWidth);
      expect(w).toBe(640); // bus.jpg is 810 px wide: downscaled to 640
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-ab-overlay.png'), fullPage: true });
    }
    await page.close();
  });
});
