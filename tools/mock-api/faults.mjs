// Fault injection for the randomuser.me mock: which answer a request gets
// (success, 429, 5xx, a reset connection, a broken body...) and which records
// of a page are served broken. With a `faultSeed` every decision is a hash of
// the request (seed, nationality filter, page, size, fields) and of how many
// times that same request failed before, so it does not depend on timing or
// on the order concurrent requests arrive in.

import { hashValues } from './generator.mjs';

/** The body the real API sends when it fails internally. */
export const ERROR_MESSAGE = 'Uh oh, something has gone wrong. Please tell us on GitHub.';

/** Answer kinds, usable in `sequence`, `?_fault=` and the `x-mock-fault` header. */
export const OUTCOMES = ['ok', '429', '500', '502', '503', 'reset', 'malformed', 'truncated', 'error-body'];
/** Modifiers that combine with an answer kind (`slow,429`). */
export const MODIFIERS = ['slow', 'bad-records'];
/** How a broken record is broken. Each is rejected by any validator of the 1.4 shape. */
export const BAD_RECORD_KINDS = ['missing-uuid', 'invalid-uuid', 'location-string', 'email-number', 'missing-name', 'null-login'];

const RATE_KEYS = ['rate429', 'rate5xx', 'rateReset', 'rateMalformed', 'rateTruncated', 'rateErrorBody', 'rateSlow', 'badRecords'];

/**
 * Checks and completes a fault configuration. Throws `TypeError` naming the
 * bad setting. Every rate is a share of requests in [0, 1]; `badRecords` is a
 * share of the records of each successful page.
 * @param {Record<string, any>} [input] untrusted settings, checked here
 * @returns {import('./mock-api.mjs').NormalizedMockFaults}
 */
export function normalizeFaults(input = {}) {
  if (input === null || typeof input !== 'object') throw new TypeError('faults must be an object');
  const known = new Set([
    ...RATE_KEYS,
    'faultSeed',
    'retryAfterSeconds',
    'retryAfterFormat',
    'statuses5xx',
    'slowMs',
    'errorBodyStatus',
    'badRecordKinds',
    'sequence',
  ]);
  for (const key of Object.keys(input)) if (!known.has(key)) throw new TypeError(`unknown fault setting: ${key}`);
  /** @type {import('./mock-api.mjs').NormalizedMockFaults} */
  const out = /** @type {any} */ ({});
  for (const key of RATE_KEYS) {
    const v = input[key] ?? 0;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new TypeError(`${key} must be a number between 0 and 1, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  const failShare = out.rate429 + out.rate5xx + out.rateReset + out.rateMalformed + out.rateTruncated + out.rateErrorBody;
  if (failShare > 1 + 1e-9) throw new TypeError(`the failure rates add up to ${failShare}, more than 1`);
  out.faultSeed = input.faultSeed === undefined || input.faultSeed === null ? undefined : String(input.faultSeed);
  out.retryAfterSeconds = nonNegative(input.retryAfterSeconds ?? 1, 'retryAfterSeconds');
  out.retryAfterFormat = input.retryAfterFormat ?? 'seconds';
  if (out.retryAfterFormat !== 'seconds' && out.retryAfterFormat !== 'http-date') throw new TypeError('retryAfterFormat must be "seconds" or "http-date"');
  out.statuses5xx = input.statuses5xx ?? [500, 502, 503];
  if (!Array.isArray(out.statuses5xx) || out.statuses5xx.length === 0 || !out.statuses5xx.every((s) => Number.isInteger(s) && s >= 500 && s <= 599)) {
    throw new TypeError('statuses5xx must be a non-empty list of 5xx statuses');
  }
  out.slowMs = nonNegative(input.slowMs ?? 1000, 'slowMs');
  out.errorBodyStatus = input.errorBodyStatus ?? 200;
  if (!Number.isInteger(out.errorBodyStatus) || out.errorBodyStatus < 200 || out.errorBodyStatus > 599)
    throw new TypeError('errorBodyStatus must be an HTTP status');
  out.badRecordKinds = input.badRecordKinds ?? BAD_RECORD_KINDS;
  if (!Array.isArray(out.badRecordKinds) || out.badRecordKinds.length === 0 || !out.badRecordKinds.every((k) => BAD_RECORD_KINDS.includes(k))) {
    throw new TypeError(`badRecordKinds must list some of ${BAD_RECORD_KINDS.join(', ')}`);
  }
  out.sequence = (input.sequence ?? []).map((entry) => parseFaultSpec(entry));
  return out;
}

function nonNegative(v, name) {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new TypeError(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Parses one forced answer such as `"429"`, `"slow,503"` or `"bad-records"`
 * into `{ outcome, slow, badRecords }`. Throws `TypeError` on unknown kinds.
 * @param {string | import('./mock-api.mjs').MockFaultSpec} spec
 * @returns {import('./mock-api.mjs').MockFaultSpec}
 */
export function parseFaultSpec(spec) {
  // An entry parsed before (faultsFromEnv's, or the current settings handed back) is checked and kept.
  if (spec !== null && typeof spec === 'object') {
    if (!OUTCOMES.includes(spec.outcome)) throw new TypeError(`unknown fault kind "${spec.outcome}" (known: ${OUTCOMES.join(', ')})`);
    return { outcome: spec.outcome, slow: spec.slow === true, badRecords: spec.badRecords === true };
  }
  const parts = String(spec)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  /** @type {import('./mock-api.mjs').MockOutcome} */
  let outcome = 'ok';
  let slow = false;
  let badRecords = false;
  for (const part of parts) {
    if (part === 'slow') slow = true;
    else if (part === 'bad-records') badRecords = true;
    else if (OUTCOMES.includes(part)) outcome = /** @type {import('./mock-api.mjs').MockOutcome} */ (part);
    else throw new TypeError(`unknown fault kind "${part}" (known: ${[...OUTCOMES, ...MODIFIERS].join(', ')})`);
  }
  return { outcome, slow, badRecords };
}

/** Reads fault settings from environment variables (the CLI's `MOCK_FAULT_*`). */
export function faultsFromEnv(env) {
  const num = (name) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const v = Number(raw);
    if (!Number.isFinite(v)) throw new TypeError(`${name} must be a number, got ${JSON.stringify(raw)}`);
    return v;
  };
  // Sequence entries are separated by ';' or spaces: MOCK_FAULT_SEQUENCE='429;slow,503;ok'.
  const list = (name) => (env[name] ? env[name].split(/[;\s]+/).filter(Boolean) : undefined);
  const f = {
    rate429: num('MOCK_FAULT_429'),
    rate5xx: num('MOCK_FAULT_5XX'),
    rateReset: num('MOCK_FAULT_RESET'),
    rateMalformed: num('MOCK_FAULT_MALFORMED'),
    rateTruncated: num('MOCK_FAULT_TRUNCATED'),
    rateErrorBody: num('MOCK_FAULT_ERROR_BODY'),
    rateSlow: num('MOCK_FAULT_SLOW'),
    slowMs: num('MOCK_FAULT_SLOW_MS'),
    badRecords: num('MOCK_FAULT_BAD_RECORDS'),
    retryAfterSeconds: num('MOCK_FAULT_RETRY_AFTER'),
    errorBodyStatus: num('MOCK_FAULT_ERROR_BODY_STATUS'),
    faultSeed: env.MOCK_FAULT_SEED || undefined,
    retryAfterFormat: env.MOCK_FAULT_RETRY_AFTER_FORMAT || undefined,
    statuses5xx: env.MOCK_FAULT_5XX_STATUSES ? env.MOCK_FAULT_5XX_STATUSES.split(',').map(Number) : undefined,
    badRecordKinds: env.MOCK_FAULT_BAD_RECORD_KINDS ? env.MOCK_FAULT_BAD_RECORD_KINDS.split(',').map((s) => s.trim()) : undefined,
    sequence: list('MOCK_FAULT_SEQUENCE'),
  };
  return normalizeFaults(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)));
}

const UNIT = 4294967296;

/** A number in [0, 1): a hash of `parts` under `faultSeed`, or `Math.random()` without one. */
export function draw(faultSeed, ...parts) {
  return faultSeed === undefined ? Math.random() : hashValues(faultSeed, ...parts) / UNIT;
}

/**
 * Picks the answer for a request from the configured rates. `key` identifies
 * the request (same page, same answer); `attempt` is how many times this
 * request failed before, plus one.
 */
/** @returns {import('./mock-api.mjs').MockFaultSpec} */
export function chooseFault(faults, key, attempt) {
  const u = draw(faults.faultSeed, 'outcome', key, attempt);
  const slow = faults.rateSlow > 0 && draw(faults.faultSeed, 'slow', key, attempt) < faults.rateSlow;
  const table = [
    ['reset', faults.rateReset],
    ['429', faults.rate429],
    ['5xx', faults.rate5xx],
    ['error-body', faults.rateErrorBody],
    ['malformed', faults.rateMalformed],
    ['truncated', faults.rateTruncated],
  ];
  let acc = 0;
  /** @type {string} */
  let outcome = 'ok';
  for (const [kind, rate] of table) {
    acc += rate;
    if (u < acc) {
      outcome = kind;
      break;
    }
  }
  if (outcome === '5xx') {
    const statuses = faults.statuses5xx;
    outcome = String(statuses[Math.floor(draw(faults.faultSeed, 'status', key, attempt) * statuses.length)]);
  }
  return { outcome: /** @type {import('./mock-api.mjs').MockOutcome} */ (outcome), slow, badRecords: faults.badRecords > 0 };
}

/**
 * Whether (and how) the record at `index` of a page is served broken: a
 * fixed property of the record under a `faultSeed`, so retries and re-fetches
 * of the page break the same records in the same way. Returns the kind or
 * `undefined`.
 */
export function badRecordKind(faults, share, recordKey) {
  if (!(share > 0)) return undefined;
  if (draw(faults.faultSeed, 'bad', recordKey) >= share) return undefined;
  const kinds = faults.badRecordKinds;
  return kinds[Math.floor(draw(faults.faultSeed, 'bad-kind', recordKey) * kinds.length)];
}

/** Breaks a generated user object in place the way `kind` says and returns it. */
export function breakRecord(user, kind) {
  switch (kind) {
    case 'missing-uuid':
      if (user.login && typeof user.login === 'object') delete user.login.uuid;
      else user.login = { username: 'nobody' };
      break;
    case 'invalid-uuid':
      user.login = { ...(user.login ?? {}), uuid: 'not-a-uuid' };
      break;
    case 'location-string':
      user.location = '221B Baker Street, London';
      break;
    case 'email-number':
      user.email = 42;
      break;
    case 'missing-name':
      delete user.name;
      break;
    case 'null-login':
      user.login = null;
      break;
    default:
      throw new TypeError(`unknown bad record kind: ${kind}`);
  }
  return user;
}
