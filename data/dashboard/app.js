// lamb's dashboard, kept live by /_lamb/events: "hello" (functions and
// routes, once), "invocation" (one per invocation, the last ones first on
// connecting), "instances" (a snapshot each second) and, under lamb local
// start, "services" (its queues, buckets and schedules, as lines, with it).
'use strict';
const MAX_ROWS = 100;
const points = [];

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function row(cells, cls) {
  const tr = el('tr', undefined, cls);
  for (const [text, c] of cells) {
    const td = el('td', undefined, c);
    if (text instanceof Node) td.appendChild(text); else td.textContent = text;
    tr.appendChild(td);
  }
  return tr;
}

function onHello(h) {
  const ul = document.getElementById('routes');
  ul.textContent = '';
  for (const r of h.routes) {
    const li = el('li');
    const a = el('a', r.method + ' ' + r.path);
    a.href = r.url;
    li.appendChild(a);
    li.appendChild(document.createTextNode(' → ' + r.function));
    ul.appendChild(li);
  }
  if (!h.routes.length) ul.appendChild(el('li', 'no routes: ' + h.functions.map(f => f.id).join(', ')));
}

function onInvocation(v) {
  const body = document.querySelector('#invocations tbody');
  const log = el('a', 'log lines');
  log.href = 'logs?function=' + encodeURIComponent(v.function) + '&request=' + v.requestId;
  const start = v.cold ? 'cold (init ' + v.initDuration.toFixed(1) + ' ms)' : 'warm';
  const cls = 'invocation' + (v.cold ? ' cold' : '') + (v.outcome !== 'ok' ? ' failed' : '');
  const tr = row([[new Date(v.time).toLocaleTimeString(), 'time'], [v.function, 'function'], [start, 'start'],
    [v.duration.toFixed(2) + ' ms', 'duration'], [v.billed + ' ms', 'billed'],
    [v.maxMemory + ' / ' + v.memory + ' MB', 'memory'], [v.outcome, 'outcome'], [log, 'log']], cls);
  tr.dataset.requestId = v.requestId;
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  points.push(v);
  if (points.length > MAX_ROWS) points.shift();
  drawChart();
}

function drawChart() {
  const svg = document.getElementById('chart');
  const ns = 'http://www.w3.org/2000/svg';
  svg.textContent = '';
  const max = Math.max(1, ...points.map(p => p.duration));
  const x = i => points.length < 2 ? 300 : 6 + i * 588 / (points.length - 1);
  const y = d => 115 - d / max * 105;
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.map((p, i) => x(i) + ',' + y(p.duration)).join(' '));
  svg.appendChild(line);
  points.forEach((p, i) => {
    if (!p.cold) return;
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', x(i)); c.setAttribute('cy', y(p.duration)); c.setAttribute('r', 4);
    c.setAttribute('class', 'cold');
    svg.appendChild(c);
  });
}

function onInstances(list) {
  const body = document.querySelector('#instances tbody');
  body.textContent = '';
  for (const i of list)
    body.appendChild(row([[i.function], [i.state + (i.debug ? ' (debugger)' : '')], [String(i.pid)],
      [i.age.toFixed(0) + ' s'], [String(i.invocations)], [i.maxMemory + ' MB']], 'instance'));
  if (!list.length) body.appendChild(row([['no instance running']]));
}

function onServices(lines) {
  document.getElementById('services-section').hidden = false;
  const ul = document.getElementById('services');
  ul.textContent = '';
  for (const l of lines) ul.appendChild(el('li', l, 'service'));
  if (!lines.length) ul.appendChild(el('li', 'none in the template'));
}

const es = new EventSource('events');
const status = document.getElementById('status');
es.onopen = () => { status.textContent = 'live'; };
es.onerror = () => { status.textContent = 'disconnected, retrying…'; };
es.addEventListener('hello', e => onHello(JSON.parse(e.data)));
es.addEventListener('invocation', e => onInvocation(JSON.parse(e.data)));
es.addEventListener('instances', e => onInstances(JSON.parse(e.data)));
es.addEventListener('services', e => onServices(JSON.parse(e.data)));
