import { fmtDb, fmtNum } from './format.js';

/**
 * The HTML report's page script and styles, inlined into every report (no network at view time).
 * Plain ES2017 for any current browser; it reads the JSON in #trtdiff-data and draws with uPlot.
 * Kept as strings here so that `tsc` ships them in dist/ with no extra build step.
 */
export const CLIENT_CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1b1f24; background: #fafbfc; }
#app { max-width: 1280px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 8px 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #57606a; font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; min-width: 300px; flex: 1; }
.card h3 { margin: 0 0 6px; font-size: 14px; word-break: break-all; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.verdict.ok { background: #dafbe1; color: #116329; } .verdict.bad { background: #ffebe9; color: #a40e26; }
.gate.fail { color: #a40e26; } .gate.pass { color: #116329; }
.chart { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; margin-bottom: 8px; }
.hover { font: 12px ui-monospace, monospace; color: #57606a; min-height: 16px; padding: 2px 6px; }
table.rows { border-collapse: collapse; width: 100%; background: #fff; font-size: 12px; }
table.rows th, table.rows td { border-bottom: 1px solid #eaeef2; padding: 3px 6px; text-align: right; white-space: nowrap; }
table.rows td.l, table.rows th.l { text-align: left; }
table.rows td.name { max-width: 420px; overflow: hidden; text-overflow: ellipsis; font-family: ui-monospace, monospace; }
table.rows th { position: sticky; top: 0; background: #f6f8fa; cursor: pointer; user-select: none; }
table.rows th[aria-sort="ascending"]::after { content: " ▲"; } table.rows th[aria-sort="descending"]::after { content: " ▼"; }
table.rows tr.first td { background: #ffebe9; font-weight: 600; } table.rows tr.made td.sq { color: #9a6700; }
.scroll { max-height: 560px; overflow: auto; border: 1px solid #d0d7de; border-radius: 6px; }
.hists { display: grid; grid-template-columns: repeat(auto-fill, minmax(390px, 1fr)); gap: 10px; }
.hist { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; }
.hist .t { font: 11px ui-monospace, monospace; word-break: break-all; }
.note { color: #57606a; font-style: italic; }
.overlay { position: relative; display: inline-block; } .overlay svg { position: absolute; left: 0; top: 0; }
.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; border-radius: 2px; }
select { font: inherit; }
`;

export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('trtdiff-data').textContent);
  var app = document.getElementById('app');
  var CAP = 100; // SQNR is +inf for identical tensors; drawn at this height
  var BRANCH_COLORS = { backbone: '#1f77b4', neck: '#2ca02c', box: '#ff7f0e', 'class': '#d62728' };
  var PALETTE = ['#1f77b4', '#d62728', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#bcbd22'];
  var FP32_BOX = '#00c853'; // no candidate colour is green, so FP32 boxes stand apart
  var EXTRA = ['#7f7f7f', '#bcbd22', '#aec7e8', '#ffbb78'];

  function num(v) { return v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' || v === null || v === undefined ? NaN : v; }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === 'text') e.textContent = attrs[k]; else if (k === 'cls') e.className = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  // The terminal's formatters (report/format.ts), inlined: one dB formatter for every report.
  var formatDb = ${fmtDb};
  var formatNum = ${fmtNum};
  function fmtDb(v) { return formatDb(num(v)); }
  function fmtNum(v) { return formatNum(num(v)); }
  function capDb(v) { v = num(v); return isNaN(v) ? null : Math.max(-CAP, Math.min(CAP, v)); }
  function width() { return Math.min(1230, app.clientWidth - 16); }
  function branchColor(b, i) { return BRANCH_COLORS[b] || EXTRA[i % EXTRA.length]; }

  // ---- header, gates, summary cards
  app.appendChild(el('h1', { text: D.title }));
  app.appendChild(el('div', { cls: 'meta', text: 'FP32 ' + D.fp32 + ' · ' + D.samples.length + ' input(s): ' + D.samples.slice(0, 4).join(', ') + (D.samples.length > 4 ? ', …' : '') + ' · ' + D.created + ' · divergence: SQNR < ' + D.thresholds.sqnrThresholdDb + ' dB and ' + D.thresholds.dropDb + ' dB below its inputs' }));
  if (D.gates.length) {
    var gl = el('ul', { id: 'gates' });
    D.gates.forEach(function (g) { gl.appendChild(el('li', { cls: 'gate ' + (g.passed ? 'pass' : 'fail'), text: (g.passed ? 'passed  ' : 'FAILED  ') + g.gate + ' — ' + g.candidate + ': ' + g.message })); });
    app.appendChild(el('h2', { text: 'CI gates' })); app.appendChild(gl);
  }
  app.appendChild(el('h2', { text: 'Verdict' }));
  var cards = el('div', { cls: 'cards', id: 'verdicts' });
  D.candidates.forEach(function (c, k) {
    var fd = c.firstDivergence;
    var outs = Object.keys(c.outputSqnr).map(function (o) { return el('div', { text: 'output ' + o + ': SQNR ' + fmtDb(c.outputSqnr[o]) + ' dB' }); });
    cards.appendChild(el('div', { cls: 'card' }, [
      el('h3', {}, [el('span', { cls: 'swatch', style: 'margin-left:0;background:' + PALETTE[k % PALETTE.length] }), c.label]),
      el('span', { cls: 'verdict ' + (c.verdict === 'ok' ? 'ok' : 'bad'), text: c.verdict }),
      c.verdictStart ? el('div', { text: c.verdict + ' starts at ' + c.verdictStart }) : null,
      c.verdictEvidence.length ? el('ul', { cls: 'evidence' }, c.verdictEvidence.map(function (e) { return el('li', { text: e }); })) : null,
      el('div', { text: c.divergence }),
      fd ? el('div', { cls: 'meta', text: fd.reason }) : null,
    ].concat(outs, [el('div', { cls: 'meta', text: c.summary.compared + ' tensors compared, ' + c.summary.skipped + ' skipped; worst SQNR ' + fmtDb(c.summary.worstSqnrDb) + ' dB' })])));
  });
  app.appendChild(cards);

  // ---- the x axis: every tensor of any candidate, in FP32 topological order
  var names = {}, all = [];
  D.candidates.forEach(function (c) { c.rows.forEach(function (r) { if (!(r.name in names)) { names[r.name] = r; all.push(r); } }); });
  all.sort(function (a, b) { return a.order - b.order; });
  var xIndex = {}; all.forEach(function (r, i) { xIndex[r.name] = i; });
  var xs = all.map(function (_, i) { return i; });
  function column(c, f) { var by = {}; c.rows.forEach(function (r) { by[r.name] = r; }); return all.map(function (r) { var x = by[r.name]; return x ? f(x) : null; }); }

  function markDivergences(u) {
    var ctx = u.ctx;
    D.candidates.forEach(function (c, k) {
      if (!c.firstDivergence || !(c.firstDivergence.tensor in xIndex)) return;
      var x = u.valToPos(xIndex[c.firstDivergence.tensor], 'x', true);
      ctx.save(); ctx.strokeStyle = PALETTE[k % PALETTE.length]; ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle; ctx.font = (11 * devicePixelRatio) + 'px sans-serif';
      ctx.fillText('first divergence' + (D.candidates.length > 1 ? ' (' + c.label + ')' : ''), x + 4 * devicePixelRatio, u.bbox.top + (12 + 12 * k) * devicePixelRatio);
      ctx.restore();
    });
  }
  function hoverLine(target) {
    return function (u) { var i = u.cursor.idx; target.textContent = i === null || i === undefined ? '' : '#' + all[i].order + ' ' + all[i].op + '  ' + all[i].name + (all[i].branch ? '  [' + all[i].branch + ']' : ''); };
  }
  function lineChart(id, title, yLabel, series, data, yRange) {
    var box = el('div', { cls: 'chart', id: id }); var hover = el('div', { cls: 'hover' });
    app.appendChild(box); box.appendChild(hover);
    var opts = {
      title: title, width: width(), height: 320,
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
      axes: [{ label: 'tensor (topological order)', incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000] }, { label: yLabel }],
      series: [{ label: 'tensor' }].concat(series),
      hooks: { draw: [markDivergences], setCursor: [hoverLine(hover)] },
    };
    return new uPlot(opts, [xs].concat(data), box);
  }

  // ---- SQNR curve: per branch for one candidate (when labelled), else one line per candidate
  app.appendChild(el('h2', { text: 'SQNR along the graph' }));
  var single = D.candidates.length === 1;
  var sSeries = [], sData = [];
  if (single && D.branches.length) {
    var c0 = D.candidates[0];
    D.branches.concat(['']).forEach(function (b, i) {
      var col = column(c0, function (r) { return (r.branch || '') === b ? capDb(r.sqnr) : null; });
      if (col.every(function (v) { return v === null; })) return;
      sSeries.push({ label: b || 'unlabelled', stroke: b ? branchColor(b, i) : '#999', points: { show: true, size: 4 }, spanGaps: false });
      sData.push(col);
    });
  } else {
    D.candidates.forEach(function (c, k) {
      sSeries.push({ label: c.label, stroke: PALETTE[k % PALETTE.length], width: 1.5, points: { show: true, size: 3 } });
      sData.push(column(c, function (r) { return capDb(r.sqnr); }));
    });
  }
  D.candidates.forEach(function (c, k) {
    if (!c.rows.some(function (r) { return r.localSqnr !== null; })) return;
    sSeries.push({ label: 'local SQNR' + (single ? '' : ' (' + c.label + ')'), stroke: PALETTE[k % PALETTE.length], dash: [4, 3], width: 1 });
    sData.push(column(c, function (r) { return r.localSqnr === null ? null : capDb(r.localSqnr); }));
  });
  lineChart('sqnr-chart', 'SQNR (dB, accumulated' + (sSeries.some(function (s) { return /local/.test(s.label); }) ? ' and local' : '') + '; identical tensors drawn at ' + CAP + ')', 'SQNR dB', sSeries, sData);
  if (single && !D.branches.length) app.appendChild(el('div', { cls: 'note', text: 'No branch labels (backbone / neck / box / class) in this report: the detection-head analysis did not run.' }));

  app.appendChild(el('h2', { text: 'Cosine similarity along the graph' }));
  lineChart('cosine-chart', 'cosine(FP32, INT8)', 'cosine',
    D.candidates.map(function (c, k) { return { label: c.label, stroke: PALETTE[k % PALETTE.length], width: 1.5, points: { show: true, size: 3 } }; }),
    D.candidates.map(function (c) { return column(c, function (r) { var v = num(r.cosine); return isNaN(v) ? null : v; }); }));

  // ---- sortable table
  app.appendChild(el('h2', { text: 'Tensors' }));
  var pick = el('select', { id: 'candidate-select' });
  D.candidates.forEach(function (c, k) { pick.appendChild(el('option', { value: String(k), text: c.label })); });
  if (D.candidates.length > 1) app.appendChild(el('div', {}, ['candidate: ', pick]));
  var hasBranch = D.branches.length > 0, hasLocal = D.candidates.some(function (c) { return c.rows.some(function (r) { return r.localSqnr !== null; }); });
  var cols = [
    { key: 'order', label: '#', get: function (r) { return r.order; } },
    { key: 'op', label: 'op', l: true, get: function (r) { return r.op; } },
    { key: 'name', label: 'tensor', l: true, get: function (r) { return r.name; } },
  ];
  if (hasBranch) cols.push({ key: 'branch', label: 'branch', l: true, get: function (r) { return r.branch; } });
  cols.push(
    { key: 'shape', label: 'shape', l: true, get: function (r) { return r.shape; } },
    { key: 'cosine', label: 'cosine', get: function (r) { return num(r.cosine); }, fmt: function (v) { return isNaN(v) ? 'n/a' : v.toFixed(5); } },
    { key: 'maxAbs', label: 'max abs', get: function (r) { return num(r.maxAbs); }, fmt: fmtNum },
    { key: 'sqnr', label: 'SQNR dB', get: function (r) { return num(r.sqnr); }, fmt: fmtDb, cls: 'sq' },
    { key: 'drop', label: 'drop dB', get: function (r) { return r.drop === null ? NaN : num(r.drop); }, fmt: function (v) { return isNaN(v) ? '' : fmtDb(v); } });
  if (hasLocal) cols.push({ key: 'localSqnr', label: 'local SQNR dB', get: function (r) { return r.localSqnr === null ? NaN : num(r.localSqnr); }, fmt: function (v) { return isNaN(v) ? '' : fmtDb(v); } });
  cols.push({ key: 'origin', label: 'origin', l: true, get: function (r) { return r.origin; } });
  var table = el('table', { cls: 'rows', id: 'tensor-table' }), thead = el('thead'), tbody = el('tbody'), hr = el('tr');
  var sortKey = 'order', sortDir = 1;
  cols.forEach(function (c) {
    var th = el('th', { cls: c.l ? 'l' : '', 'data-key': c.key, text: c.label });
    th.addEventListener('click', function () { if (sortKey === c.key) sortDir = -sortDir; else { sortKey = c.key; sortDir = 1; } renderRows(); });
    hr.appendChild(th);
  });
  thead.appendChild(hr); table.appendChild(thead); table.appendChild(tbody);
  var scroll = el('div', { cls: 'scroll' }, [table]); app.appendChild(scroll);
  function cmp(a, b) {
    // NaN (n/a) sorts last in either direction.
    if (typeof a === 'number' && typeof b === 'number') { if (isNaN(a)) return isNaN(b) ? 0 : 1; if (isNaN(b)) return -1; return (a < b ? -1 : a > b ? 1 : 0) * sortDir; }
    return String(a).localeCompare(String(b)) * sortDir;
  }
  function renderRows() {
    var c = D.candidates[Number(pick.value || 0)];
    var col = cols.filter(function (x) { return x.key === sortKey; })[0];
    var rows = c.rows.slice().sort(function (a, b) { return cmp(col.get(a), col.get(b)); });
    Array.prototype.forEach.call(hr.children, function (th) { th.setAttribute('aria-sort', th.getAttribute('data-key') === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none'); });
    tbody.textContent = '';
    var first = c.firstDivergence && c.firstDivergence.tensor;
    rows.forEach(function (r) {
      var tr = el('tr', { cls: r.name === first ? 'first' : r.origin === 'made here' ? 'made' : '' });
      cols.forEach(function (x) { var v = x.get(r); tr.appendChild(el('td', { cls: (x.l ? 'l ' : '') + (x.key === 'name' ? 'name ' : '') + (x.cls || ''), title: x.key === 'name' ? r.name : '', text: x.fmt ? x.fmt(v) : String(v) })); });
      tbody.appendChild(tr);
    });
  }
  pick.addEventListener('change', renderRows);
  renderRows();

  // ---- histograms of the worst tensors
  app.appendChild(el('h2', { text: 'FP32 vs INT8 value histograms (worst tensors)' }));
  var anyHist = false;
  D.candidates.forEach(function (c, k) {
    if (!c.histograms || !c.histograms.worst.length) return;
    anyHist = true;
    if (D.candidates.length > 1) app.appendChild(el('h3', { text: c.label }));
    var grid = el('div', { cls: 'hists' }); app.appendChild(grid);
    c.histograms.worst.forEach(function (h) {
      var lo = num(h.lo), hi = num(h.hi), n = h.ref.length, w = (hi - lo) / n;
      var centers = h.ref.map(function (_, i) { return lo + (i + 0.5) * w; });
      var pos = function (v) { return v > 0 ? v : null; };
      var clip = h.clip, xmin = lo, xmax = hi;
      // Show the clip range when it is within reach of the data (else the values would be a sliver).
      var showClip = clip && (Math.max(hi, clip.hi) - Math.min(lo, clip.lo)) < 20 * (hi - lo);
      if (showClip) { xmin = Math.min(lo, clip.lo); xmax = Math.max(hi, clip.hi); }
      var box = el('div', { cls: 'hist' });
      box.appendChild(el('div', { cls: 't', text: h.tensor + '  SQNR ' + fmtDb(h.sqnrDb) + ' dB' + (clip ? '  INT8 range [' + fmtNum(clip.lo) + ', ' + fmtNum(clip.hi) + '] (' + clip.type + ', scale ' + fmtNum(clip.scale) + ', zp ' + clip.zeroPoint + ')' + (showClip ? '' : ' beyond view') : '') }));
      grid.appendChild(box);
      new uPlot({
        width: 380, height: 190, legend: { show: true },
        scales: { x: { time: false, range: [xmin, xmax] }, y: { distr: 3 } },
        axes: [{ size: 30, font: '10px sans-serif' }, { size: 40, font: '10px sans-serif' }],
        series: [{ label: 'value' }, { label: 'FP32', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.15)', paths: uPlot.paths.stepped({ align: 0 }), points: { show: false } },
          { label: 'INT8', stroke: '#d62728', paths: uPlot.paths.stepped({ align: 0 }), points: { show: false } }],
        hooks: { draw: [function (u) {
          if (!showClip) return;
          var ctx = u.ctx; ctx.save(); ctx.strokeStyle = '#6e40c9'; ctx.setLineDash([3, 3]); ctx.lineWidth = devicePixelRatio;
          [clip.lo, clip.hi].forEach(function (v) { var x = u.valToPos(v, 'x', true); ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); });
          ctx.restore();
        }] },
      }, [centers, h.ref.map(pos), h.test.map(pos)], box);
    });
  });
  if (!anyHist) app.appendChild(el('div', { cls: 'note', text: 'No histograms: they are collected while the models run (trt-diff run/demo --html), not from stored dumps.' }));

  // ---- detection overlay
  app.appendChild(el('h2', { text: 'Detections (FP32 vs INT8)' }));
  if (D.overlay.note) {
    app.appendChild(el('div', { cls: 'note', id: 'overlay-note', text: 'Omitted: ' + D.overlay.note + '.' }));
  } else {
    var o = D.overlay, NS = 'http://www.w3.org/2000/svg';
    var wrap = el('div', { cls: 'overlay', id: 'overlay' }, [el('img', { src: o.dataUri, width: String(o.width), height: String(o.height), alt: o.image })]);
    var svg = document.createElementNS(NS, 'svg'); svg.setAttribute('width', o.width); svg.setAttribute('height', o.height);
    function draw(b, color, dash) {
      var r = document.createElementNS(NS, 'rect');
      r.setAttribute('x', b.x1); r.setAttribute('y', b.y1); r.setAttribute('width', Math.max(0, b.x2 - b.x1)); r.setAttribute('height', Math.max(0, b.y2 - b.y1));
      r.setAttribute('fill', 'none'); r.setAttribute('stroke', color); r.setAttribute('stroke-width', '2'); if (dash) r.setAttribute('stroke-dasharray', '6 3');
      var t = document.createElementNS(NS, 'text'); t.setAttribute('x', b.x1 + 2); t.setAttribute('y', Math.max(10, b.y1 - 3)); t.setAttribute('fill', color); t.setAttribute('font-size', '11');
      t.textContent = b.label + (isNaN(num(b.score)) ? '' : ' ' + num(b.score).toFixed(2));
      svg.appendChild(r); svg.appendChild(t);
    }
    o.fp32.forEach(function (b) { draw(b, FP32_BOX, false); });
    o.int8.forEach(function (c, k) { c.boxes.forEach(function (b) { draw(b, PALETTE[k % PALETTE.length], true); }); });
    wrap.appendChild(svg); app.appendChild(wrap);
    var legend = el('div', { cls: 'meta' }, [el('span', { cls: 'swatch', style: 'background:' + FP32_BOX }), 'FP32 (' + o.fp32.length + ')']);
    o.int8.forEach(function (c, k) { legend.appendChild(el('span', { cls: 'swatch', style: 'background:' + PALETTE[k % PALETTE.length] })); legend.appendChild(document.createTextNode('INT8 ' + c.candidate.split('/').pop() + ' (' + c.boxes.length + ', dashed)')); });
    app.appendChild(legend);
  }
  document.body.setAttribute('data-rendered', 'true');
})();
`;
