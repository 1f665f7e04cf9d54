// A randomuser.me API 1.4 look-alike on node:http, with deterministic users
// and fault injection. Plain ESM without top-level await or import.meta, so
// Jest (SWC -> CommonJS) can load it in TypeScript tests:
//
//   import { startMockApi } from '@userstream/tools/mock-api';
//   const api = await startMockApi({ faults: { rate429: 0.1, faultSeed: 'e2e' } });
//   // ... point a client at api.url ...
//   await api.close();
//
// README.md beside this file documents the HTTP surface and the fault model.

import http from 'node:http';
import {
  API_VERSION,
  AGE_REFERENCE,
  FIELDS,
  MAX_PAGE,
  MAX_RESULTS,
  NATS,
  buildUserFor,
  generatePage,
  generateUser,
  normalizeParams,
  renderPageBuffers,
  userUuid,
} from './generator.mjs';
import {
  BAD_RECORD_KINDS,
  ERROR_MESSAGE,
  OUTCOMES,
  badRecordKind,
  breakRecord,
  chooseFault,
  draw,
  faultsFromEnv,
  normalizeFaults,
  parseFaultSpec,
} from './faults.mjs';

export {
  API_VERSION,
  AGE_REFERENCE,
  BAD_RECORD_KINDS,
  ERROR_MESSAGE,
  FIELDS,
  MAX_PAGE,
  MAX_RESULTS,
  NATS,
  OUTCOMES,
  faultsFromEnv,
  generatePage,
  generateUser,
  normalizeFaults,
  normalizeParams,
  userUuid,
};

const API_PATHS = new Set(['/api', '/api/', '/api/1.4', '/api/1.4/']);
const JSON_TYPE = 'application/json; charset=utf-8';
/** Share of records broken by a forced `bad-records` fault without `_bad_share`. */
const DEFAULT_FORCED_BAD_SHARE = 0.25;
const MALFORMED_BODY =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The upstream server sent an invalid response.</p></body></html>\n';
const PROXY_PAGES = {
  502: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n',
  503: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n',
};

function emptyStats() {
  return {
    requests: 0,
    byStatus: {},
    byOutcome: {},
    pagesServed: 0,
    usersServed: 0,
    invalidUsersServed: 0,
    invalidUsers: new Map(),
  };
}

function count(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

function firstHeader(value) {
  return Array.isArray(value) ? value[0] : value;
}

function optionalNumber(raw, name) {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return v;
}

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new TypeError('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the mock on `host:port` (port 0: a free port). Resolves once it
 * listens. See mock-api.d.mts for the returned handle.
 */
export function startMockApi(options = {}) {
  const { port = 0, host = '127.0.0.1' } = options;
  let faults = normalizeFaults(options.faults ?? {});
  let sequence = [...faults.sequence];
  // Failures so far per request key, for deterministic decisions (faultSeed only).
  let failures = new Map();
  let stats = emptyStats();
  const timers = new Set();

  // Answers to API requests are counted by status; admin answers are not.
  function send(req, res, status, headers, body, counted = true) {
    if (counted) count(stats.byStatus, String(status));
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { 'content-length': buffer.length, 'access-control-allow-origin': '*', ...headers });
    res.end(req.method === 'HEAD' ? undefined : buffer);
  }

  function sendJson(req, res, status, value, headers = {}, counted = true) {
    send(req, res, status, { 'content-type': JSON_TYPE, ...headers }, JSON.stringify(value), counted);
  }

  function sendAdmin(req, res, status, value) {
    sendJson(req, res, status, value, {}, false);
  }

  function natKeyOf(p) {
    return p.nats === null ? '' : p.nats.join(',');
  }

  function recordInvalid(p, index, kind) {
    const natKey = natKeyOf(p);
    const id = `${p.seed}\u0000${natKey}\u0000${p.page}\u0000${index}`;
    stats.invalidUsersServed++;
    if (!stats.invalidUsers.has(id)) {
      stats.invalidUsers.set(id, {
        seed: p.seed,
        nat: natKey === '' ? null : natKey,
        page: p.page,
        index,
        uuid: generateUser(p.seed, p.page, index, p.nats ?? undefined).login.uuid,
        kind,
      });
    }
  }

  function serveOk(req, res, q, p, badShare, effectiveFaults) {
    const replace =
      badShare > 0
        ? (index) => {
            const kind = badRecordKind(effectiveFaults, badShare, `${p.seed}|${natKeyOf(p)}|${p.page}|${index}`);
            if (kind === undefined) return undefined;
            recordInvalid(p, index, kind);
            return breakRecord(buildUserFor(p, index), kind);
          }
        : undefined;
    const chunks = renderPageBuffers(p, replace);
    const format = String(q.format ?? q.fmt ?? 'json').toLowerCase();
    let body;
    if (format === 'pretty' || format === 'prettyjson' || q.noinfo !== undefined) {
      const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (q.noinfo !== undefined) delete value.info;
      body = Buffer.from(JSON.stringify(value, null, format === 'json' ? undefined : 2));
    } else {
      body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    }
    stats.pagesServed++;
    stats.usersServed += p.results;
    send(req, res, 200, { 'content-type': JSON_TYPE }, body);
  }

  function respond(req, res, q, p, plan, extra) {
    count(stats.byOutcome, plan.outcome);
    switch (plan.outcome) {
      case 'ok':
        serveOk(req, res, q, p, plan.badRecords ? extra.badShare : 0, extra.faults);
        return;
      case 'reset':
        count(stats.byStatus, 'reset');
        req.socket.destroy();
        return;
      case '429': {
        const retryAfter =
          faults.retryAfterFormat === 'http-date'
            ? new Date(Date.now() + extra.retryAfterSeconds * 1000).toUTCString()
            : String(Math.ceil(extra.retryAfterSeconds));
        sendJson(req, res, 429, { error: 'Too many requests. Please slow down.' }, { 'retry-after': retryAfter });
        return;
      }
      case 'error-body':
        sendJson(req, res, faults.errorBodyStatus, { error: ERROR_MESSAGE });
        return;
      case 'malformed':
        send(req, res, 200, { 'content-type': 'text/html; charset=utf-8' }, MALFORMED_BODY);
        return;
      case 'truncated': {
        const full = Buffer.concat(renderPageBuffers(p));
        const cut = Math.max(1, Math.floor(full.length * (0.05 + 0.9 * draw(faults.faultSeed, 'cut', extra.key, extra.attempt))));
        send(req, res, 200, { 'content-type': JSON_TYPE }, full.subarray(0, Math.min(cut, full.length - 1)));
        return;
      }
      default: {
        const status = Number(plan.outcome);
        if (PROXY_PAGES[status]) send(req, res, status, { 'content-type': 'text/html; charset=utf-8' }, PROXY_PAGES[status]);
        else sendJson(req, res, status, { error: ERROR_MESSAGE });
      }
    }
  }

  function handleApi(req, res, url) {
    stats.requests++;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(req, res, 405, { error: `Method ${req.method} not allowed` }, { allow: 'GET, HEAD' });
      return;
    }
    const q = Object.fromEntries(url.searchParams);
    const format = String(q.format ?? q.fmt ?? 'json').toLowerCase();
    if (!['json', 'pretty', 'prettyjson'].includes(format)) {
      sendJson(req, res, 400, { error: `format "${format}" is not supported by the mock (json and pretty are)` });
      return;
    }
    const p = normalizeParams(q);
    const key = `${p.seed}|${natKeyOf(p)}|${p.page}|${p.results}|${p.fields.join(',')}`;
    /** @type {import('./mock-api.mjs').MockFaultSpec} */
    let plan;
    let attempt = 1;
    let tracked = false;
    let retryAfterSeconds;
    let delayMs;
    let badShare;
    try {
      const forced = q._fault ?? firstHeader(req.headers['x-mock-fault']);
      retryAfterSeconds = optionalNumber(q._retry_after ?? firstHeader(req.headers['x-mock-retry-after']), 'retry after');
      delayMs = optionalNumber(q._delay_ms ?? firstHeader(req.headers['x-mock-delay-ms']), 'delay');
      badShare = optionalNumber(q._bad_share ?? firstHeader(req.headers['x-mock-bad-share']), 'bad share');
      if (badShare !== undefined && badShare > 1) throw new TypeError('bad share must be at most 1');
      if (forced !== undefined) plan = parseFaultSpec(forced);
      else if (sequence.length > 0) plan = /** @type {import('./mock-api.mjs').MockFaultSpec} */ (sequence.shift());
      else {
        tracked = faults.faultSeed !== undefined;
        attempt = tracked ? (failures.get(key) ?? 0) + 1 : 1;
        plan = chooseFault(faults, key, attempt);
      }
    } catch (error) {
      sendJson(req, res, 400, { error: `mock fault parameters: ${error.message}` });
      return;
    }
    if (tracked) {
      if (plan.outcome === 'ok') failures.delete(key);
      else {
        if (failures.size > 100000) failures.clear();
        failures.set(key, attempt);
      }
    }
    const extra = {
      key,
      attempt,
      faults,
      retryAfterSeconds: retryAfterSeconds ?? faults.retryAfterSeconds,
      badShare: badShare ?? (faults.badRecords > 0 ? faults.badRecords : DEFAULT_FORCED_BAD_SHARE),
    };
    if (plan.slow) {
      count(stats.byOutcome, 'slow');
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed && !res.writableEnded) respond(req, res, q, p, plan, extra);
      }, delayMs ?? faults.slowMs);
      timers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    respond(req, res, q, p, plan, extra);
  }

  async function handleAdmin(req, res, path) {
    if (path === '/health' || path === '/_mock/health') return sendAdmin(req, res, 200, { status: 'ok' });
    if (path === '/_mock/stats' && req.method === 'GET') return sendAdmin(req, res, 200, snapshot());
    if (path === '/_mock/reset' && req.method === 'POST') {
      resetStats();
      return sendAdmin(req, res, 200, { ok: true });
    }
    if (path === '/_mock/faults' && req.method === 'GET') return sendAdmin(req, res, 200, faults);
    if (path === '/_mock/faults' && (req.method === 'POST' || req.method === 'PUT')) {
      try {
        const body = await readBody(req);
        setFaults(body.trim() === '' ? {} : JSON.parse(body));
      } catch (error) {
        return sendAdmin(req, res, 400, { error: `setting faults: ${error.message}` });
      }
      return sendAdmin(req, res, 200, faults);
    }
    return sendAdmin(req, res, 404, { error: `Not found: ${req.method} ${path}` });
  }

  function snapshot() {
    const invalidUsers = [...stats.invalidUsers.values()].sort((a, b) =>
      a.seed !== b.seed ? (a.seed < b.seed ? -1 : 1) : a.page !== b.page ? a.page - b.page : a.index - b.index,
    );
    return {
      requests: stats.requests,
      byStatus: { ...stats.byStatus },
      byOutcome: { ...stats.byOutcome },
      pagesServed: stats.pagesServed,
      usersServed: stats.usersServed,
      invalidUsersServed: stats.invalidUsersServed,
      invalidUsers: invalidUsers.map((u) => ({ ...u })),
    };
  }

  function resetStats() {
    stats = emptyStats();
  }

  function setFaults(next = {}) {
    faults = normalizeFaults(next);
    sequence = [...faults.sequence];
    failures = new Map();
  }

  const server = http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url ?? '/', 'http://mock.invalid');
    } catch {
      sendAdmin(req, res, 400, { error: 'bad request URL' });
      return;
    }
    const path = url.pathname;
    try {
      if (API_PATHS.has(path)) handleApi(req, res, url);
      else if (path === '/health' || path.startsWith('/_mock/')) {
        handleAdmin(req, res, path).catch((error) => {
          if (!res.headersSent) sendAdmin(req, res, 500, { error: `mock-api: ${error.message}` });
        });
      } else sendAdmin(req, res, 404, { error: `Not found: ${path}` });
    } catch (error) {
      // A bug in the mock, not an injected fault: say so plainly.
      if (!res.headersSent) sendJson(req, res, 500, { error: `mock-api internal error: ${error.message}` });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 10_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      const hostPart = host.includes(':') ? `[${host}]` : host;
      /** @type {Promise<void> | undefined} */
      let closing;
      resolve({
        url: `http://${hostPart}:${actualPort}/api/`,
        port: actualPort,
        host,
        server,
        close() {
          if (!closing) {
            closing = new Promise((done, fail) => {
              for (const t of timers) clearTimeout(t);
              timers.clear();
              server.close((error) => (error ? fail(error) : done()));
              server.closeAllConnections();
            });
          }
          return closing;
        },
        setFaults,
        faults: () => ({ ...faults, sequence: [...sequence] }),
        stats: snapshot,
        resetStats,
      });
    });
  });
}
