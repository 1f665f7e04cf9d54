// @ts-check
// The orchestrator dashboard: polls the API every 2 s and renders jobs, runs
// and pipeline health. Plain DOM building (textContent only, never innerHTML
// with data), so nothing the API returns can inject markup.
(function () {
  'use strict';

  /**
   * A form whose named controls are read as inputs or selects.
   * @typedef {HTMLFormElement & { elements: HTMLFormControlsCollection & Record<string, HTMLInputElement & HTMLSelectElement> }} Form
   */

  const POLL_MS = 2000;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const state = {
    jobs: [],
    runs: [],
    openRuns: new Set(),
    windowSeconds: Number(sessionStorage.getItem('userstream.window')) || 900,
    history: null, // { t: [], inPerSec: [], outPerSec: [], lag: [], dlq: [], ... } from /api/pipeline/history
    historyAt: 0,
    historyMs: 10000, // how often the orchestrator samples (ORCHESTRATOR_HISTORY_INTERVAL_MS), from /api/pipeline/history
    busy: false,
    browse: { topics: [], reasons: new Set(), open: new Set(), records: [], selected: new Set(), topic: '', partition: 0, reason: '', reads: 0 },
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
    if (Array.isArray(child))
      child.forEach(function (c) {
        append(el, c);
      });
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) {
      el.setAttribute(key, String(attrs[key]));
    });
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

  /** The pending timer that hides the toast. */
  let toastTimer;

  function toast(message, bad) {
    const el = $('toast');
    el.textContent = message;
    el.className = bad ? 'bad' : '';
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      el.hidden = true;
    }, 5000);
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
      healthCard(
        'kafka',
        { ok: p.kafka.ok, error: p.kafka.error },
        p.kafka.topic.exists ? 'topic ' + p.kafka.topic.name : 'topic ' + p.kafka.topic.name + ' not created yet',
      ),
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
    state.lastPipeline = p;
    renderBrowserTopics(p);
  }

  // --- charts from the orchestrator's history ---------------------------------

  /** A y scale with round steps: 0–4 with nothing to show, else 4 or 5 steps of 1, 2, 2.5 or 5 × 10^k. */
  function niceScale(max) {
    if (!(max > 0)) return { top: 4, step: 1 };
    const rough = max / 4;
    const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    const norm = rough / magnitude;
    const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
    return { top: Math.ceil(max / step - 1e-9) * step, step: step };
  }

  /** 1,234 · 12.5k · 3.4M; decimals only where the step needs them. */
  function axisNumber(v, step) {
    const abs = Math.abs(v);
    if (abs >= 1e6) return +(v / 1e6).toFixed(abs % 1e6 === 0 ? 0 : 1) + 'M';
    if (abs >= 1e4) return +(v / 1e3).toFixed(abs % 1e3 === 0 ? 0 : 1) + 'k';
    const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
    return numberFormat.format(+v.toFixed(decimals));
  }

  function clockLabel(t, withDate) {
    const d = new Date(t);
    const hm = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
    return withDate ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ' ' + hm : hm;
  }

  /** Draws `series` ([{ key, cls }]) of the history over the chosen window into an SVG. */
  function drawChart(el, series, height) {
    const W = 640,
      H = height,
      left = 52,
      right = 10,
      top = 10,
      bottom = 22;
    const now = Date.now();
    const spanMs = state.windowSeconds * 1000;
    const from = now - spanMs;
    const h = state.history || { t: [] };
    let max = 0;
    h.t.forEach(function (t, i) {
      if (t < from) return;
      series.forEach(function (s) {
        const v = h[s.key][i];
        if (v !== null && v > max) max = v;
      });
    });
    const scale = niceScale(max);
    const x = function (t) {
      return left + ((t - from) / spanMs) * (W - left - right);
    };
    const y = function (v) {
      return top + (1 - v / scale.top) * (H - top - bottom);
    };
    const nodes = [];
    // The runs in the window, shaded.
    state.runs.forEach(function (run) {
      if (!run.startedAt) return;
      const a = Math.max(from, Date.parse(run.startedAt));
      const b = run.endedAt ? Date.parse(run.endedAt) : now;
      if (b < from || a > now) return;
      nodes.push(svg('rect', { class: 'run-span', x: x(a), y: top, width: Math.max(1, x(b) - x(a)), height: H - top - bottom }));
    });
    for (let v = 0; v <= scale.top + scale.step / 1e6; v += scale.step) {
      nodes.push(svg('line', { class: 'grid-line', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      const label = svg('text', { class: 'axis-label y', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' });
      label.textContent = axisNumber(v, scale.step);
      nodes.push(label);
    }
    // Time ticks on round minutes or hours (local time), 3 to 6 of them, and "now" at the right edge.
    const withDate = state.windowSeconds > 6 * 3600;
    const stepMin =
      [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360].find(function (m) {
        return spanMs / (m * 60000) <= 6;
      }) || 720;
    const stepMs = stepMin * 60000;
    const offsetMs = new Date(now).getTimezoneOffset() * 60000;
    for (let t = Math.ceil((from - offsetMs) / stepMs) * stepMs + offsetMs; t < now - stepMs / 3; t += stepMs) {
      nodes.push(svg('line', { class: 'grid-line', x1: x(t), x2: x(t), y1: H - bottom, y2: H - bottom + 4 }));
      const label = svg('text', { class: 'axis-label', x: x(t), y: H - 6, 'text-anchor': 'middle' });
      label.textContent = clockLabel(t, withDate && t === Math.ceil((from - offsetMs) / stepMs) * stepMs + offsetMs);
      nodes.push(label);
    }
    const nowLabel = svg('text', { class: 'axis-label', x: W - right, y: H - 6, 'text-anchor': 'end' });
    nowLabel.textContent = 'now';
    nodes.push(nowLabel);
    series.forEach(function (s) {
      // A gap (no sample for longer than three intervals, or an unknown value) breaks the line.
      let points = [];
      let last = -Infinity;
      const flush = function () {
        if (points.length > 0) nodes.push(svg('polyline', { class: 'series ' + s.cls, points: points.join(' ') }));
        points = [];
      };
      h.t.forEach(function (t, i) {
        const v = h[s.key][i];
        if (t < from) return;
        if (v === null || t - last > 3 * state.historyMs) flush();
        if (v !== null) points.push(x(t).toFixed(1) + ',' + y(v).toFixed(1));
        last = t;
      });
      flush();
    });
    replaceChildren(el, nodes);
  }

  function renderCharts() {
    drawChart(
      $('chart'),
      [
        { key: 'inPerSec', cls: 'in' },
        { key: 'outPerSec', cls: 'out' },
      ],
      200,
    );
    drawChart(
      $('lag-chart'),
      [
        { key: 'lag', cls: 'lag' },
        { key: 'dlq', cls: 'dlq' },
      ],
      130,
    );
    const h = state.history;
    $('history-note').textContent =
      h && h.t.length > 0
        ? '· ' + num(h.t.length) + ' samples since ' + clockLabel(h.t[0], state.windowSeconds > 6 * 3600) + ', one every ' + span(state.historyMs)
        : '· no samples yet';
    document.querySelectorAll('#window-buttons button').forEach(function (b) {
      b.classList.toggle('on', Number(b.getAttribute('data-window')) === state.windowSeconds);
    });
  }

  /** The history of the chosen window (and, on the first call, the newest snapshot for the panels). */
  function loadHistory(first) {
    return api('GET', '/api/pipeline/history?seconds=' + state.windowSeconds).then(function (data) {
      return showHistory(data, first);
    });
  }

  /** Draws a history answer (/api/pipeline/history); `withSnapshot` also fills the panels from its newest snapshot. */
  function showHistory(data, withSnapshot) {
    state.history = data.samples;
    state.historyMs = data.intervalMs;
    state.historyAt = Date.now();
    if (withSnapshot && data.latest) renderPipeline(data.latest);
    renderCharts();
    renderRuns();
    return data;
  }

  function setWindow(seconds) {
    state.windowSeconds = seconds;
    sessionStorage.setItem('userstream.window', String(seconds));
    loadHistory(false).catch(function (error) {
      toast(error.message, true);
    });
  }

  document.querySelectorAll('#window-buttons button').forEach(function (b) {
    b.addEventListener('click', function () {
      setWindow(Number(b.getAttribute('data-window')));
    });
  });

  // --- jobs -------------------------------------------------------------------

  function triggerParams() {
    const form = /** @type {Form} */ ($('params-form'));
    const params = {};
    ['records', 'durationSeconds', 'rate', 'startPage', 'pageSize'].forEach(function (name) {
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
      .catch(function (error) {
        toast(error.message, true);
      })
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
          h(
            'td',
            null,
            active
              ? [h('span', { class: 'badge ' + active.state }, active.state), ' ', h('span', { class: 'mono' }, active.id.slice(0, 8))]
              : h('span', { class: 'muted' }, 'none'),
          ),
          h('td', null, h('span', { class: 'badge ' + (job.paused ? 'paused' : 'active') }, job.paused ? 'paused' : 'scheduled')),
          h(
            'td',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                'data-action': 'trigger',
                disabled: Boolean(active) || state.busy,
                title: active ? 'a run is active; runs never overlap' : 'start a run now',
                onclick: function () {
                  jobAction(job, 'trigger');
                },
              },
              'Trigger',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'data-action': job.paused ? 'unpause' : 'pause',
                disabled: state.busy,
                onclick: function () {
                  jobAction(job, job.paused ? 'unpause' : 'pause');
                },
              },
              job.paused ? 'Unpause' : 'Pause',
            ),
          ),
        );
      }),
    );
  }

  // --- runs -------------------------------------------------------------------

  function offsetsText(offsets) {
    if (!offsets || offsets.partitions.length === 0) return '–';
    return offsets.partitions
      .map(function (p) {
        return 'p' + p.partition + ' ' + p.first + '–' + p.last;
      })
      .join(', ');
  }

  function rowsWrittenCell(run) {
    const rw = run.rowsWritten || { state: 'unknown' };
    if (rw.state === 'known') return h('td', { class: 'num' }, num(rw.value));
    return h('td', { class: 'num muted', title: rw.reason || '' }, run.state === 'success' ? rw.state : '–');
  }

  const LOG_LEVELS = ['info', 'warn', 'error'];

  /** The run's log: its notable events, oldest first, as text. */
  function runLog(run) {
    const log = Array.isArray(run.log) ? run.log : [];
    if (log.length === 0) return null;
    return h(
      'div',
      { class: 'run-log' },
      h('strong', null, 'Log'),
      h(
        'ol',
        { class: 'log', 'data-field': 'log' },
        log.map(function (entry) {
          const level = LOG_LEVELS.indexOf(entry.level) >= 0 ? entry.level : 'info';
          return h(
            'li',
            { class: 'log-' + level, 'data-level': level },
            h('span', { class: 'mono muted' }, time(entry.at)),
            ' ',
            entry.tryNumber ? h('span', { class: 'muted' }, 'try ' + entry.tryNumber + ' · ') : null,
            String(entry.message),
          );
        }),
      ),
    );
  }

  function runDetails(run) {
    const tries = run.tries.map(function (t) {
      return h(
        'li',
        null,
        'try ' +
          t.tryNumber +
          ': ' +
          t.state +
          ', ' +
          time(t.startedAt) +
          (t.endedAt ? ' → ' + time(t.endedAt) : '') +
          (t.ingestRunId ? ', ingest run ' + t.ingestRunId : '') +
          (t.error ? ' — ' + t.error : ''),
      );
    });
    return h(
      'tr',
      { class: 'details' },
      h(
        'td',
        { colspan: 14 },
        h(
          'div',
          null,
          h('strong', null, 'Run '),
          h('span', { class: 'mono' }, run.id),
          ' · ',
          run.trigger,
          run.scheduledFor ? ' for ' + time(run.scheduledFor) : '',
          ' · queued ' + time(run.queuedAt),
        ),
        h('div', null, h('strong', null, 'Params '), h('span', { class: 'mono' }, JSON.stringify(run.params))),
        run.cursor
          ? h(
              'div',
              null,
              h('strong', null, 'Cursor '),
              h('span', { class: 'mono' }, 'seed ' + run.cursor.seed + ', pages ' + run.cursor.startPage + '–' + run.cursor.nextPage),
            )
          : null,
        run.offsets ? h('div', null, h('strong', null, 'Offsets '), h('span', { class: 'mono' }, run.offsets.topic + ': ' + offsetsText(run.offsets))) : null,
        run.rowsWritten && run.rowsWritten.reason ? h('div', null, h('strong', null, 'Rows written '), run.rowsWritten.reason) : null,
        run.nextTryAt ? h('div', null, h('strong', null, 'Next try '), time(run.nextTryAt) + ' (' + relative(run.nextTryAt) + ')') : null,
        run.error ? h('div', { class: 'error' }, run.error) : null,
        h('ul', null, tries),
        runLog(run),
      ),
    );
  }

  /** The run's own records/s: acknowledged over its lifetime, and its curve from the history. */
  function recordsPerSecondCell(run) {
    const acked = run.counts && run.counts.acknowledged;
    if (!run.startedAt || acked === undefined) return h('td', { class: 'num muted', 'data-field': 'rate' }, '–');
    const start = Date.parse(run.startedAt);
    const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
    const seconds = Math.max(1, (end - start) / 1000);
    const cell = h('td', { class: 'num', 'data-field': 'rate', title: num(acked) + ' records in ' + span(end - start) }, num(Math.round(acked / seconds)));
    const hist = state.history;
    if (hist) {
      const points = [];
      hist.t.forEach(function (t, i) {
        if (t >= start && t <= end + state.historyMs && hist.inPerSec[i] !== null) points.push([t, hist.inPerSec[i]]);
      });
      if (points.length >= 2) {
        const top =
          Math.max.apply(
            null,
            points.map(function (p) {
              return p[1];
            }),
          ) || 1;
        const spark = svg('svg', { class: 'spark', viewBox: '0 0 90 22', 'aria-label': 'records/s during the run' });
        spark.appendChild(
          svg('polyline', {
            class: 'series in',
            points: points
              .map(function (p) {
                return (((p[0] - start) / Math.max(1, end + state.historyMs - start)) * 88 + 1).toFixed(1) + ',' + (21 - (p[1] / top) * 20).toFixed(1);
              })
              .join(' '),
          }),
        );
        cell.appendChild(spark);
      }
    }
    return cell;
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
          h(
            'td',
            null,
            h('span', { class: 'badge ' + run.state }, run.state),
            run.error ? h('div', { class: 'error' }, run.error.length > 80 ? run.error.slice(0, 80) + '…' : run.error) : null,
          ),
          h('td', null, run.tryNumber + ' / ' + run.maxTries),
          h('td', null, time(run.startedAt || run.queuedAt)),
          h('td', null, duration(run)),
          h('td', { class: 'num' }, num(c.pagesFetched)),
          h('td', { class: 'num' }, num(c.fetched)),
          h('td', { class: 'num' }, run.counts ? num(c.valid) + ' / ' + num(c.invalid) : '–'),
          h('td', { class: 'num' }, num(c.produced)),
          h('td', { class: 'num', 'data-field': 'acknowledged' }, num(c.acknowledged)),
          recordsPerSecondCell(run),
          h('td', { class: 'mono' }, offsetsText(run.offsets)),
          rowsWrittenCell(run),
        ),
      );
      if (open) rows.push(runDetails(run));
    });
    replaceChildren($('runs'), rows);
  }

  // --- topic browser ------------------------------------------------------------

  function renderBrowserTopics(p) {
    const form = /** @type {Form} */ ($('browse-form'));
    const topics = [p.kafka.topic.name, p.kafka.dlq.name];
    const select = form.elements.topic;
    if (select.options.length !== 2 || select.options[0].value !== topics[0]) {
      replaceChildren(
        select,
        topics.map(function (name, i) {
          return h('option', { value: name }, i === 0 ? name : name + ' (DLQ)');
        }),
      );
    }
    const parts =
      select.value === p.kafka.dlq.name
        ? p.kafka.dlq.partitions.map(function (q) {
            return { partition: q.partition, end: q.endOffset };
          })
        : p.kafka.topic.partitions.map(function (q) {
            return { partition: q.partition, end: q.endOffset };
          });
    const partSelect = form.elements.partition;
    const chosen = partSelect.value;
    const wanted = parts
      .map(function (q) {
        return q.partition + ':' + q.end;
      })
      .join(',');
    if (partSelect.getAttribute('data-parts') !== wanted) {
      replaceChildren(
        partSelect,
        parts.length
          ? parts.map(function (q) {
              return h('option', { value: q.partition }, q.partition + ' (end ' + num(q.end) + ')');
            })
          : [h('option', { value: 0 }, '0')],
      );
      partSelect.setAttribute('data-parts', wanted);
      if (
        chosen &&
        parts.some(function (q) {
          return String(q.partition) === chosen;
        })
      )
        partSelect.value = chosen;
    }
  }

  function recordSummary(rec) {
    if (!rec.value) return h('span', { class: 'muted' }, 'null (tombstone)');
    if (rec.value.decoded) {
      const r = rec.value.record;
      return h(
        'div',
        { class: 'value-summary' },
        h('span', { class: 'label' }, rec.value.encoding + ' · ' + rec.value.schema),
        ' ',
        [r.first_name, r.last_name].filter(Boolean).join(' '),
        r.email ? ' <' + r.email + '>' : '',
        r.country ? ', ' + r.country : '',
      );
    }
    return h(
      'div',
      { class: 'value-summary' },
      h('span', { class: 'label' }, 'not decoded: ' + rec.value.reason),
      ' ',
      h('span', { class: 'mono' }, rec.value.hex.slice(0, 48) + (rec.value.hex.length > 48 || rec.value.truncated ? '…' : '')),
    );
  }

  function recordDetails(rec) {
    const body = rec.value
      ? rec.value.decoded
        ? JSON.stringify(rec.value.record, null, 2)
        : rec.value.message + '\n\n' + rec.value.hex.replace(/(.{64})/g, '$1\n') + (rec.value.truncated ? '\n… (' + num(rec.size) + ' bytes in all)' : '')
      : 'null value';
    return h(
      'tr',
      { class: 'details' },
      h(
        'td',
        { colspan: 7 },
        rec.deadLetter
          ? h(
              'div',
              null,
              h('strong', null, 'Dead letter '),
              rec.deadLetter.stage +
                ' · ' +
                rec.deadLetter.reason +
                ' · ' +
                rec.deadLetter.message +
                (rec.deadLetter.original
                  ? ' · from ' + rec.deadLetter.original.topic + ' p' + rec.deadLetter.original.partition + ' offset ' + rec.deadLetter.original.offset
                  : '') +
                (rec.deadLetter.time ? ' at ' + time(rec.deadLetter.time) : ''),
            )
          : null,
        h('div', null, h('strong', null, 'Headers '), h('span', { class: 'mono' }, JSON.stringify(rec.headers))),
        h('pre', { class: 'mono' }, body),
      ),
    );
  }

  function recordId(topic, rec) {
    return topic + ':' + rec.partition + ':' + rec.offset;
  }

  function renderBrowse() {
    const rows = [];
    state.browse.records.forEach(function (rec) {
      const id = recordId(state.browse.topic, rec);
      const open = state.browse.open.has(id);
      rows.push(
        h(
          'tr',
          {
            class: 'record',
            'data-offset': rec.offset,
            title: 'click for the whole record',
            onclick: function () {
              if (open) state.browse.open.delete(id);
              else state.browse.open.add(id);
              renderBrowse();
            },
          },
          h(
            'td',
            null,
            rec.deadLetter
              ? h('input', {
                  type: 'checkbox',
                  'aria-label': 'select offset ' + rec.offset,
                  'data-select': rec.offset,
                  checked: state.browse.selected.has(rec.offset),
                  onclick: function (event) {
                    event.stopPropagation();
                    if (event.target.checked) state.browse.selected.add(rec.offset);
                    else state.browse.selected.delete(rec.offset);
                    renderRedriveActions();
                  },
                })
              : null,
          ),
          h('td', { class: 'num mono' }, rec.offset),
          h('td', null, time(rec.timestamp)),
          h('td', { class: 'mono' }, rec.key === null ? '–' : rec.key.text !== undefined ? rec.key.text : '0x' + rec.key.hex),
          h('td', null, recordSummary(rec)),
          h(
            'td',
            null,
            rec.deadLetter
              ? [
                  h('span', { class: 'badge failed', title: rec.deadLetter.message }, rec.deadLetter.reason),
                  rec.headers['userstream-redrive-count']
                    ? h(
                        'div',
                        { class: 'muted', 'data-redrives': rec.headers['userstream-redrive-count'] },
                        're-driven ' + rec.headers['userstream-redrive-count'] + '×',
                      )
                    : null,
                ]
              : '',
          ),
          h('td', { class: 'mono muted' }, Object.keys(rec.headers).length + ' headers'),
        ),
      );
      if (open) rows.push(recordDetails(rec));
    });
    replaceChildren($('browse-records'), rows);
  }

  function renderRedriveActions() {
    const isDlq = state.browse.topic !== '' && state.lastPipeline && state.browse.topic === state.lastPipeline.kafka.dlq.name;
    $('redrive-actions').hidden = !isDlq;
    /** @type {HTMLButtonElement} */ ($('redrive-selected')).disabled = state.browse.selected.size === 0 || state.busy;
    $('redrive-selected').textContent = 'Re-drive selected (' + state.browse.selected.size + ')';
    /** @type {HTMLButtonElement} */ ($('redrive-reason')).disabled = !state.browse.reason || state.busy;
    $('redrive-reason').textContent = state.browse.reason ? 'Re-drive all ' + state.browse.reason : 'Re-drive all of a reason (choose one above)';
  }

  function redrive(body) {
    state.busy = true;
    renderRedriveActions();
    return api('POST', '/api/dlq/redrive', body)
      .then(function (run) {
        const p = run.params;
        toast(
          'Re-drove ' +
            num(p.redriven) +
            ' records from ' +
            p.from +
            ' (audit run ' +
            run.id.slice(0, 8) +
            ')' +
            (p.refused ? '; refused ' + p.refused.length + ' re-driven too often' : ''),
          run.state !== 'success',
        );
        state.browse.selected = new Set();
      })
      .catch(function (error) {
        toast(error.message, true);
      })
      .then(function () {
        state.busy = false;
        renderRedriveActions();
        return refresh();
      });
  }

  $('redrive-selected').addEventListener('click', function () {
    redrive({ partition: state.browse.partition, offsets: Array.from(state.browse.selected) });
  });
  $('redrive-reason').addEventListener('click', function () {
    redrive({ partition: state.browse.partition, reason: state.browse.reason });
  });

  function browse(event) {
    if (event) event.preventDefault();
    const form = /** @type {Form} */ ($('browse-form'));
    const mode = form.elements.mode.value;
    const at = form.elements.at.value.trim();
    const query = ['partition=' + encodeURIComponent(form.elements.partition.value || '0'), 'limit=' + encodeURIComponent(form.elements.limit.value || '20')];
    if (mode === 'last') query.push('last=' + encodeURIComponent(at || '20'));
    else if (mode === 'fromOffset') query.push('fromOffset=' + encodeURIComponent(at || '0'));
    else {
      const ms = Date.parse(at);
      query.push('fromTime=' + encodeURIComponent(Number.isFinite(ms) ? String(ms) : at));
    }
    if (form.elements.reason.value) query.push('reason=' + encodeURIComponent(form.elements.reason.value));
    const topic = form.elements.topic.value;
    $('browse-status').textContent = 'reading ' + topic + '…';
    const started = Date.now();
    // Only the newest read is shown: an earlier one that answers later must not replace it.
    const read = ++state.browse.reads;
    return api('GET', '/api/topics/' + encodeURIComponent(topic) + '/records?' + query.join('&'))
      .then(function (result) {
        if (read !== state.browse.reads) return;
        state.browse.records = result.records;
        // A record opened before this read stays open if it is still listed.
        const listed = new Set(
          result.records.map(function (r) {
            return recordId(result.topic, r);
          }),
        );
        state.browse.open = new Set(
          Array.from(state.browse.open).filter(function (id) {
            return listed.has(id);
          }),
        );
        state.browse.selected = new Set();
        state.browse.topic = result.topic;
        state.browse.partition = result.partition;
        state.browse.reason = form.elements.reason.value;
        result.records.forEach(function (r) {
          if (r.deadLetter) state.browse.reasons.add(r.deadLetter.reason);
        });
        const reasons = form.elements.reason;
        const chosen = reasons.value;
        replaceChildren(
          reasons,
          [h('option', { value: '' }, 'any')].concat(
            Array.from(state.browse.reasons)
              .sort()
              .map(function (r) {
                return h('option', { value: r }, r);
              }),
          ),
        );
        reasons.value = chosen;
        $('browse-status').textContent =
          num(result.records.length) +
          ' records of ' +
          result.topic +
          ' partition ' +
          result.partition +
          ' from offset ' +
          num(result.start) +
          ' (offsets ' +
          num(result.low) +
          '–' +
          num(Math.max(result.low, result.high - 1)) +
          ' retained) in ' +
          span(Date.now() - started) +
          (result.complete ? '' : '; the read timed out, showing what arrived');
        renderBrowse();
        renderRedriveActions();
      })
      .catch(function (error) {
        if (read !== state.browse.reads) return;
        $('browse-status').textContent = 'read failed: ' + error.message;
      });
  }

  $('browse-form').addEventListener('submit', browse);
  /** @type {Form} */ ($('browse-form')).elements.topic.addEventListener('change', function () {
    if (state.lastPipeline) renderBrowserTopics(state.lastPipeline);
  });
  /** @type {Form} */ ($('browse-form')).elements.mode.addEventListener('change', function () {
    const mode = /** @type {Form} */ ($('browse-form')).elements.mode.value;
    const input = /** @type {Form} */ ($('browse-form')).elements.at;
    $('browse-at-label').textContent = mode === 'last' ? 'N' : mode === 'fromOffset' ? 'offset' : 'time (ISO-8601)';
    input.value = mode === 'last' ? '20' : mode === 'fromOffset' ? '0' : new Date(Date.now() - 3600000).toISOString();
  });

  // --- polling ----------------------------------------------------------------

  /**
   * One poll. The first one draws from the history's newest snapshot (kept by
   * the orchestrator, so it answers at once) instead of waiting for a fresh
   * pipeline snapshot; later ones take fresh snapshots, and the history once per sample interval.
   */
  function refresh(first) {
    return Promise.all([
      api('GET', '/api/jobs').then(function (data) {
        state.jobs = data.jobs;
        renderJobs();
      }),
      api('GET', '/api/runs?limit=20').then(function (data) {
        state.runs = data.runs;
        renderRuns();
        renderCharts();
      }),
      first
        ? loadHistory(true).then(function (data) {
            if (!data.latest) return api('GET', '/api/pipeline').then(renderPipeline);
          })
        : Promise.all([api('GET', '/api/pipeline').then(renderPipeline), Date.now() - state.historyAt >= state.historyMs ? loadHistory(false) : null]),
    ])
      .then(function () {
        $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      })
      .catch(function (error) {
        $('updated').textContent = 'update failed: ' + error.message;
      });
  }

  let polls = 0;
  function loop() {
    const next = function () {
      setTimeout(loop, POLL_MS);
    };
    if (document.hidden) return next();
    refresh(polls++ === 0).then(next, next);
  }

  /**
   * Paints what the page was served with (jobs, the newest runs, the history
   * and its newest snapshot, in a meta element as JSON), so no panel waits
   * for the first poll; the polls then bring it up to date.
   */
  function paintServedState() {
    const meta = document.querySelector('meta[name="served-state"]');
    const text = meta && meta.getAttribute('content');
    if (!text) return;
    let served;
    try {
      served = JSON.parse(text);
    } catch {
      return; // the polls fill the page
    }
    if (Array.isArray(served.jobs)) {
      state.jobs = served.jobs;
      renderJobs();
    }
    if (Array.isArray(served.runs)) state.runs = served.runs;
    // A history of another window than the one chosen still beats an empty chart until the first poll.
    if (served.history && served.history.samples) showHistory(served.history, true);
    else renderRuns();
    $('updated').textContent = 'served ' + new Date().toLocaleTimeString();
  }

  renderCharts();
  paintServedState();
  loop();
})();
