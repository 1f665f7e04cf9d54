// The orchestrator dashboard: polls the API every 2 s and renders jobs, runs
// and pipeline health. Plain DOM building (textContent only, never innerHTML
// with data), so nothing the API returns can inject markup.
(function () {
  'use strict';

  const POLL_MS = 2000;
  const CHART_POINTS = 150; // 5 minutes at one point per poll
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const state = {
    jobs: [],
    runs: [],
    openRuns: new Set(),
    series: [], // { t, inPerSec, outPerSec }
    busy: false,
  };

  // --- small helpers --------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  /** Creates an element: h('td', { class: 'num' }, 'text', childNode, ...). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      const value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key === 'onclick') el.addEventListener('click', value);
      else el.setAttribute(key, value === true ? '' : String(value));
    });
    children.forEach((child) => append(el, child));
    return el;
  }

  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, String(attrs[key])); });
    return el;
  }

  function replaceChildren(el, children) {
    while (el.firstChild) el.removeChild(el.firstChild);
    append(el, children);
  }

  const numberFormat = new Intl.NumberFormat();
  function num(value) {
    return value === undefined || value === null ? '–' : numberFormat.format(value);
  }

  function time(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  /** A span of milliseconds for people: 200 ms, 45 s, 2 min, 3 h, 36 d. */
  function span(ms) {
    const abs = Math.abs(ms);
    if (abs < 1000) return Math.round(abs) + ' ms';
    if (abs < 90_000) return Math.round(abs / 1000) + ' s';
    if (abs < 5_400_000) return Math.round(abs / 60_000) + ' min';
    if (abs < 172_800_000) return Math.round(abs / 3_600_000) + ' h';
    return Math.round(abs / 86_400_000) + ' d';
  }

  function relative(iso) {
    if (!iso) return '';
    const ms = Date.parse(iso) - Date.now();
    return ms >= 0 ? 'in ' + span(ms) : span(ms) + ' ago';
  }

  function duration(run) {
    if (!run.startedAt) return '–';
    const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
    const s = Math.max(0, Math.round((end - Date.parse(run.startedAt)) / 1000));
    return s < 120 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  }

  function toast(message, bad) {
    const el = $('toast');
    el.textContent = message;
    el.className = bad ? 'bad' : '';
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 5000);
  }

  /** Calls the API; a lost session sends the browser back to the login page. */
  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: Object.assign({ 'x-requested-with': 'userstream-dashboard' }, body ? { 'content-type': 'application/json' } : {}),
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (res) {
      if (res.status === 401) {
        window.location.href = '/login?next=' + encodeURIComponent(window.location.pathname);
        throw new Error('session ended');
      }
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data && data.message ? data.message : 'HTTP ' + res.status);
        return data;
      });
    });
  }

  // --- pipeline health --------------------------------------------------------

  function healthCard(name, health, detail) {
    const ok = health && health.ok;
    return h(
      'div',
      { class: 'card', 'data-app': name },
      h('div', { class: 'name' }, h('span', { class: 'dot ' + (ok ? 'ok' : 'bad') }), name),
      h('div', { class: 'detail' }, ok ? detail || 'ready' : (health && health.error) || 'not ready'),
    );
  }

  function renderPipeline(p) {
    const processor = p.apps.processor;
    const m = processor.metrics || {};
    const processorDetail = m.recordsWritten !== undefined ? 'written ' + num(m.recordsWritten) + ' · dead-lettered ' + num(m.recordsDeadLettered) : 'ready';
    replaceChildren($('apps'), [
      healthCard('orchestrator', p.apps.orchestrator, 'ready · Cassandra reachable'),
      healthCard('kafka', { ok: p.kafka.ok, error: p.kafka.error }, p.kafka.topic.exists ? 'topic ' + p.kafka.topic.name : 'topic ' + p.kafka.topic.name + ' not created yet'),
      healthCard('ingest', p.apps.ingest, p.apps.ingest.url),
      healthCard('stream-processor', processor, processorDetail),
    ]);

    $('topic-name').textContent = p.kafka.topic.name;
    $('group').textContent = p.kafka.groupId;
    $('lag-total').textContent = p.kafka.topic.exists ? num(p.kafka.topic.lagTotal) : '–';
    $('dlq').textContent = p.kafka.dlq.exists ? num(p.kafka.dlq.depth) + ' records in ' + p.kafka.dlq.name : 'empty (' + p.kafka.dlq.name + ' not created)';
    const rows = p.table;
    replaceChildren($('rows'), [
      rows.rows === null ? '–' : num(rows.rows),
      h('span', { class: 'label', title: rows.error || '' }, rows.kind === 'exact' ? 'exact COUNT(*)' : rows.kind),
      h('span', { class: 'muted' }, ' ' + rows.table + ' at ' + time(rows.at)),
    ]);

    replaceChildren(
      $('partitions'),
      p.kafka.topic.partitions.map(function (part) {
        return h(
          'tr',
          null,
          h('td', null, part.partition),
          h('td', { class: 'num' }, num(part.endOffset)),
          h('td', { class: 'num' }, part.committed === null ? 'none' : num(part.committed)),
          h('td', { class: 'num' }, num(part.lag)),
        );
      }),
    );
    const kafkaError = $('kafka-error');
    kafkaError.hidden = !p.kafka.error;
    kafkaError.textContent = p.kafka.error || '';

    $('rate-in').textContent = p.rates.inPerSec === null ? '–' : num(p.rates.inPerSec) + '/s';
    $('rate-out').textContent = p.rates.outPerSec === null ? '–' : num(p.rates.outPerSec) + '/s';
    if (p.rates.windowSeconds !== null) {
      state.series.push({ t: Date.parse(p.at), inPerSec: p.rates.inPerSec, outPerSec: p.rates.outPerSec });
      if (state.series.length > CHART_POINTS) state.series.shift();
    }
    renderChart();
  }

  /** Two lines (in and out) over the last five minutes, y scaled to the largest value. */
  function renderChart() {
    const el = $('chart');
    const W = 640, H = 200, left = 48, right = 8, top = 10, bottom = 22;
    const now = Date.now();
    const span = CHART_POINTS * (POLL_MS / 1000) * 1000;
    let max = 1;
    state.series.forEach(function (s) { max = Math.max(max, s.inPerSec || 0, s.outPerSec || 0); });
    const magnitude = Math.pow(10, Math.floor(Math.log10(max)));
    const yMax = Math.ceil(max / magnitude) * magnitude;
    const x = function (t) { return left + ((t - (now - span)) / span) * (W - left - right); };
    const y = function (v) { return top + (1 - v / yMax) * (H - top - bottom); };

    const nodes = [];
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      nodes.push(svg('line', { class: 'grid-line', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      const label = svg('text', { class: 'axis-label', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' });
      label.textContent = numberFormat.format(Math.round(v));
      nodes.push(label);
    }
    ['-5 min', '-2.5 min', 'now'].forEach(function (text, k) {
      const t = svg('text', { class: 'axis-label', x: left + (k / 2) * (W - left - right), y: H - 6, 'text-anchor': k === 0 ? 'start' : k === 1 ? 'middle' : 'end' });
      t.textContent = text;
      nodes.push(t);
    });
    ['inPerSec', 'outPerSec'].forEach(function (key) {
      const points = state.series
        .filter(function (s) { return s[key] !== null && s.t >= now - span; })
        .map(function (s) { return x(s.t).toFixed(1) + ',' + y(s[key]).toFixed(1); });
      if (points.length > 0) nodes.push(svg('polyline', { class: 'series ' + (key === 'inPerSec' ? 'in' : 'out'), points: points.join(' ') }));
    });
    replaceChildren(el, nodes);
  }

  // --- jobs -------------------------------------------------------------------

  function triggerParams() {
    const form = $('params-form');
    const params = {};
    ['records', 'durationSeconds', 'rate'].forEach(function (name) {
      const value = form.elements[name].value.trim();
      if (value !== '') params[name] = Number(value);
    });
    ['seed', 'nat', 'encoding'].forEach(function (name) {
      const value = form.elements[name].value.trim();
      if (value !== '') params[name] = value;
    });
    return params;
  }

  function jobAction(job, action) {
    const body = action === 'trigger' ? { params: triggerParams() } : undefined;
    state.busy = true;
    return api('POST', '/api/jobs/' + encodeURIComponent(job.name) + '/' + action, body)
      .then(function (result) {
        toast(action === 'trigger' ? 'Run ' + result.id.slice(0, 8) + ' queued for ' + job.name : job.name + (action === 'pause' ? ' paused' : ' unpaused'));
      })
      .catch(function (error) { toast(error.message, true); })
      .then(function () {
        state.busy = false;
        return refresh();
      });
  }

  function renderJobs() {
    replaceChildren(
      $('jobs'),
      state.jobs.map(function (job) {
        const p = job.policy;
        const retries = p.retries + ' × ' + span(p.retryDelayMs) + (p.exponentialBackoff ? ', doubling up to ' + span(p.maxRetryDelayMs) : '');
        const active = job.activeRun;
        return h(
          'tr',
          { 'data-job': job.name },
          h('td', null, h('strong', null, job.name), h('div', { class: 'muted' }, job.description)),
          h('td', { class: 'mono' }, job.scheduleText),
          h('td', null, job.paused ? h('span', { class: 'muted' }, 'paused') : [time(job.nextRunAt), h('div', { class: 'muted' }, relative(job.nextRunAt))]),
          h('td', null, retries, h('div', { class: 'muted' }, 'timeout ' + span(p.executionTimeoutMs))),
          h('td', null, active ? [h('span', { class: 'badge ' + active.state }, active.state), ' ', h('span', { class: 'mono' }, active.id.slice(0, 8))] : h('span', { class: 'muted' }, 'none')),
          h('td', null, h('span', { class: 'badge ' + (job.paused ? 'paused' : 'active') }, job.paused ? 'paused' : 'scheduled')),
          h(
            'td',
            { class: 'actions' },
            h('button', { type: 'button', 'data-action': 'trigger', disabled: Boolean(active) || state.busy, title: active ? 'a run is active; runs never overlap' : 'start a run now', onclick: function () { jobAction(job, 'trigger'); } }, 'Trigger'),
            h('button', { type: 'button', class: 'secondary', 'data-action': job.paused ? 'unpause' : 'pause', disabled: state.busy, onclick: function () { jobAction(job, job.paused ? 'unpause' : 'pause'); } }, job.paused ? 'Unpause' : 'Pause'),
          ),
        );
      }),
    );
  }

  // --- runs -------------------------------------------------------------------

  function offsetsText(offsets) {
    if (!offsets || offsets.partitions.length === 0) return '–';
    return offsets.partitions
      .map(function (p) { return 'p' + p.partition + ' ' + p.first + '–' + p.last; })
      .join(', ');
  }

  function rowsWrittenCell(run) {
    const rw = run.rowsWritten || { state: 'unknown' };
    if (rw.state === 'known') return h('td', { class: 'num' }, num(rw.value));
    return h('td', { class: 'num muted', title: rw.reason || '' }, run.state === 'success' ? rw.state : '–');
  }

  function runDetails(run) {
    const tries = run.tries.map(function (t) {
      return h('li', null, 'try ' + t.tryNumber + ': ' + t.state + ', ' + time(t.startedAt) + (t.endedAt ? ' → ' + time(t.endedAt) : '') + (t.ingestRunId ? ', ingest run ' + t.ingestRunId : '') + (t.error ? ' — ' + t.error : ''));
    });
    return h(
      'tr',
      { class: 'details' },
      h(
        'td',
        { colspan: 13 },
        h('div', null, h('strong', null, 'Run '), h('span', { class: 'mono' }, run.id), ' · ', run.trigger, run.scheduledFor ? ' for ' + time(run.scheduledFor) : '', ' · queued ' + time(run.queuedAt)),
        h('div', null, h('strong', null, 'Params '), h('span', { class: 'mono' }, JSON.stringify(run.params))),
        run.cursor ? h('div', null, h('strong', null, 'Cursor '), h('span', { class: 'mono' }, 'seed ' + run.cursor.seed + ', pages ' + run.cursor.startPage + '–' + run.cursor.nextPage)) : null,
        run.offsets ? h('div', null, h('strong', null, 'Offsets '), h('span', { class: 'mono' }, run.offsets.topic + ': ' + offsetsText(run.offsets))) : null,
        run.rowsWritten && run.rowsWritten.reason ? h('div', null, h('strong', null, 'Rows written '), run.rowsWritten.reason) : null,
        run.nextTryAt ? h('div', null, h('strong', null, 'Next try '), time(run.nextTryAt) + ' (' + relative(run.nextTryAt) + ')') : null,
        run.error ? h('div', { class: 'error' }, run.error) : null,
        h('ul', null, tries),
      ),
    );
  }

  function renderRuns() {
    $('runs-empty').hidden = state.runs.length > 0;
    const rows = [];
    state.runs.forEach(function (run) {
      const c = run.counts || {};
      const open = state.openRuns.has(run.id);
      rows.push(
        h(
          'tr',
          {
            class: 'run',
            'data-run': run.id,
            'data-state': run.state,
            title: 'click for details',
            onclick: function () {
              if (open) state.openRuns.delete(run.id);
              else state.openRuns.add(run.id);
              renderRuns();
            },
          },
          h('td', null, h('span', { class: 'mono' }, run.id.slice(0, 8)), h('div', { class: 'muted' }, run.trigger)),
          h('td', null, run.job),
          h('td', null, h('span', { class: 'badge ' + run.state }, run.state), run.error ? h('div', { class: 'error' }, run.error.length > 80 ? run.error.slice(0, 80) + '…' : run.error) : null),
          h('td', null, run.tryNumber + ' / ' + run.maxTries),
          h('td', null, time(run.startedAt || run.queuedAt)),
          h('td', null, duration(run)),
          h('td', { class: 'num' }, num(c.pagesFetched)),
          h('td', { class: 'num' }, num(c.fetched)),
          h('td', { class: 'num' }, run.counts ? num(c.valid) + ' / ' + num(c.invalid) : '–'),
          h('td', { class: 'num' }, num(c.produced)),
          h('td', { class: 'num', 'data-field': 'acknowledged' }, num(c.acknowledged)),
          h('td', { class: 'mono' }, offsetsText(run.offsets)),
          rowsWrittenCell(run),
        ),
      );
      if (open) rows.push(runDetails(run));
    });
    replaceChildren($('runs'), rows);
  }

  // --- polling ----------------------------------------------------------------

  function refresh() {
    return Promise.all([
      api('GET', '/api/jobs').then(function (data) {
        state.jobs = data.jobs;
        renderJobs();
      }),
      api('GET', '/api/runs?limit=20').then(function (data) {
        state.runs = data.runs;
        renderRuns();
      }),
      api('GET', '/api/pipeline').then(renderPipeline),
    ])
      .then(function () { $('updated').textContent = 'updated ' + new Date().toLocaleTimeString(); })
      .catch(function (error) { $('updated').textContent = 'update failed: ' + error.message; });
  }

  function loop() {
    const next = function () { setTimeout(loop, POLL_MS); };
    if (document.hidden) return next();
    refresh().then(next, next);
  }

  loop();
})();
