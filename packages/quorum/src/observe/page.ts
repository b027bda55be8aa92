/**
 * The `/debug/plugins` status page: one self-contained HTML document (inline
 * style and script, nothing fetched but its own JSON), read-only, refreshing
 * itself from `/debug/plugins/status`. Every string it shows comes from that
 * JSON and reaches the page through textContent and SVG attributes, never as
 * markup; a Content-Security-Policy admits only this script and style.
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --mute: #6e7781; --line: #d0d7de; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
#summary { color: var(--mute); margin-bottom: 1rem; }
#summary .badge { margin-right: .5rem; }
#problem { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--mute); font-size: 12px; text-transform: uppercase; }
td.num { font-variant-numeric: tabular-nums; text-align: right; }
td.error { max-width: 28rem; overflow-wrap: anywhere; color: var(--bad); }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.s-ready { color: var(--ok); }
.s-starting, .s-restarting, .s-new { color: var(--warn); }
.s-failed, .s-stopped { color: var(--bad); }
svg.chart { display: block; }
svg.chart .calls { fill: none; stroke: #0969da; stroke-width: 1.5; }
svg.chart .p99 { fill: none; stroke: #bf3989; stroke-width: 1.5; stroke-dasharray: 3 2; }
svg.chart .axis { stroke: var(--line); }
.legend { color: var(--mute); font-size: 12px; }
.legend .calls { color: #0969da; }
.legend .p99 { color: #bf3989; }
`;

const SCRIPT = `
'use strict';
(function () {
  var params = new URLSearchParams(location.search);
  var refresh = Math.min(60000, Math.max(250, Number(params.get('refresh')) || 2000));
  var endpoint = location.pathname.replace(/\\/+$/, '') + '/status';
  var SVG = 'http://www.w3.org/2000/svg';
  var W = 160, H = 36;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmtUptime(s) {
    if (s === null || s === undefined) return '–';
    s = Math.floor(s);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return d + 'd ' + h + 'h';
    if (h) return h + 'h ' + m + 'm';
    if (m) return m + 'm ' + (s % 60) + 's';
    return s + 's';
  }
  function fmtNum(v, digits) { return v === null || v === undefined ? '–' : Number(v).toFixed(digits); }
  function polyline(cls, values, max, n) {
    var p = document.createElementNS(SVG, 'polyline');
    p.setAttribute('class', cls);
    var pts = [];
    for (var i = 0; i < values.length; i++) {
      if (values[i] === null) continue;
      var x = n <= 1 ? W : (W * (i + n - values.length)) / (n - 1);
      var y = H - 2 - ((H - 4) * values[i]) / (max || 1);
      pts.push(x.toFixed(1) + ',' + y.toFixed(1));
    }
    p.setAttribute('points', pts.join(' '));
    return p;
  }
  function chart(history) {
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('width', W);
    svg.setAttribute('height', H);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var base = document.createElementNS(SVG, 'line');
    base.setAttribute('class', 'axis');
    base.setAttribute('x1', 0); base.setAttribute('x2', W);
    base.setAttribute('y1', H - 1); base.setAttribute('y2', H - 1);
    svg.appendChild(base);
    var calls = history.map(function (s) { return s.callsPerSecond; });
    var p99 = history.map(function (s) { return s.p99Ms; });
    var n = Math.max(history.length, 2);
    svg.appendChild(polyline('calls', calls, Math.max.apply(null, calls.concat([1])), n));
    svg.appendChild(polyline('p99', p99, Math.max.apply(null, p99.filter(function (v) { return v !== null; }).concat([1])), n));
    var title = document.createElementNS(SVG, 'title');
    title.textContent = history.length + ' samples: calls/s (solid), p99 ms (dashed)';
    svg.appendChild(title);
    return svg;
  }
  function row(p) {
    var tr = el('tr');
    tr.dataset.provider = p.provider;
    function cell(field, text, cls) {
      var td = el('td', cls, text);
      td.dataset.field = field;
      tr.appendChild(td);
      return td;
    }
    cell('provider', p.provider);
    var plugin = cell('plugin', p.plugin);
    plugin.appendChild(el('div', 'legend', p.version));
    var state = cell('state');
    state.appendChild(el('span', 'badge s-' + p.state, p.state));
    cell('pid', p.pid === null ? '–' : p.pid, 'num');
    cell('uptime', fmtUptime(p.uptimeSeconds), 'num');
    cell('restarts', p.restarts, 'num');
    cell('calls', fmtNum(p.callsPerSecond, 1), 'num');
    cell('p99', p.p99Ms === null ? '–' : fmtNum(p.p99Ms, 2) + ' ms', 'num');
    cell('chart').appendChild(chart(p.history || []));
    var last = p.lastError || (p.lastExit ? 'last exit: ' + p.lastExit.reason + ' at ' + p.lastExit.at : '');
    cell('error', last, 'error');
    return tr;
  }
  function render(status) {
    var body = document.getElementById('providers');
    var rows = status.providers.map(row);
    body.replaceChildren.apply(body, rows);
    if (rows.length === 0) {
      var tr = el('tr'); var td = el('td', null, 'no providers configured'); td.colSpan = 10; tr.appendChild(td);
      body.appendChild(tr);
    }
    var summary = document.getElementById('summary');
    var badge = el('span', 'badge ' + (status.ready ? 's-ready' : 's-failed'),
      status.draining ? 'draining' : status.ready ? 'ready' : 'not ready');
    badge.id = 'readiness';
    summary.replaceChildren(badge, document.createTextNode('updated ' + status.time +
      ' · samples every ' + status.sampleMs / 1000 + ' s · page refresh ' + refresh / 1000 + ' s'));
    document.getElementById('problem').textContent = '';
    document.body.dataset.updated = status.time;
  }
  function tick() {
    fetch(endpoint, { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(render)
      .catch(function (e) { document.getElementById('problem').textContent = 'status unavailable: ' + e.message; })
      .finally(function () { setTimeout(tick, refresh); });
  }
  tick();
})();
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only this page's own script and style; data only from its own origin; no frames, forms or images. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>qplugin · plugins</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Plugins</h1>
<div id="summary">loading…</div>
<div id="problem" role="alert"></div>
<table>
<thead><tr><th>Provider</th><th>Plugin</th><th>State</th><th>PID</th><th>Uptime</th><th>Restarts</th><th>Calls/s</th><th>p99</th><th>Last minutes <span class="legend"><span class="calls">— calls/s</span> <span class="p99">- - p99</span></span></th><th>Last error</th></tr></thead>
<tbody id="providers"></tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
