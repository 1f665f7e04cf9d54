// Deterministic randomuser.me 1.4 user generator.
//
// A user is a pure function of (seed, nationality filter, page, index): the
// same inputs always give the same user, including `login.uuid`. Every user
// draws from its own small PRNG stream (sfc32, 128-bit state) initialised from
// a hash of the seed and the user's position, so any user can be generated
// on its own, in any order, without generating the users before it.

import * as crypto from 'node:crypto';
import { NATS, NAT_TABLE, PASSWORDS, TIMEZONES, USER_WORDS_1, USER_WORDS_2 } from './data.mjs';

export { NATS };

/** The API version the mock imitates. */
export const API_VERSION = '1.4';
/** The result fields of API 1.4, in the order the real API writes them. */
export const FIELDS = ['gender', 'name', 'location', 'email', 'login', 'dob', 'registered', 'phone', 'cell', 'id', 'picture', 'nat'];
/** Largest `results` the real API accepts; larger values fall back to 1, as the real API does. */
export const MAX_RESULTS = 5000;
/** Largest `page` the real API accepts; larger values fall back to page 1, as the real API does. */
export const MAX_PAGE = 10000;
/** Ages (`dob.age`, `registered.age`) are counted up to this instant, so users never change with the clock. */
export const AGE_REFERENCE = '2025-01-01T00:00:00.000Z';

const AGE_REF_YEAR = 2025;
const AGE_REF_REST = AGE_REFERENCE.slice(4); // "-01-01T00:00:00.000Z": compared as text against a date's month..ms
// The real API's generation window (its "constant time", 2022-05-23).
const CONSTANT_TIME_MS = 1653344189000;
const DOB_MIN = -800000000000;
const DOB_MAX = CONSTANT_TIME_MS - 86400000 * 365 * 21;
const REGISTERED_MIN = 1016688461000;
const REGISTERED_MAX = CONSTANT_TIME_MS;
const TWO_POW_32 = 4294967296;
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// The JSON renderer embeds word-list strings without escaping; make sure that is safe.
function assertJsonSafe(value, where) {
  if (typeof value === 'string') {
    if (JSON.stringify(value) !== `"${value}"`) throw new Error(`mock-api data: ${where} needs JSON escaping: ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertJsonSafe(v, `${where}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertJsonSafe(v, `${where}.${k}`);
  }
}
assertJsonSafe({ NAT_TABLE, PASSWORDS, TIMEZONES, USER_WORDS_1, USER_WORDS_2 }, 'data');

// ---------------------------------------------------------------------------
// PRNG: sfc32 on module-level state. Generation is synchronous, so one state
// is enough; every user re-seeds it.
let sa = 0;
let sb = 0;
let sc = 0;
let sd = 0;

function next() {
  const t = (((sa + sb) | 0) + sd) | 0;
  sd = (sd + 1) | 0;
  sa = sb ^ (sb >>> 9);
  sb = (sc + (sc << 3)) | 0;
  sc = (sc << 21) | (sc >>> 11);
  sc = (sc + t) | 0;
  return t >>> 0;
}

function seedRng(k1, k2, n, salt) {
  sa = k1 | 0;
  sb = k2 | 0;
  sc = n | 0;
  sd = salt | 0;
  for (let i = 0; i < 12; i++) next();
}

/** The draw helpers handed to the per-nationality data functions. */
const g = {
  /** An integer in [min, max]. */
  int(min, max) {
    return min + Math.floor((next() * (max - min + 1)) / TWO_POW_32);
  },
  pick(arr) {
    return arr[Math.floor((next() * arr.length) / TWO_POW_32)];
  },
  /** A float in [0, 1) with 53 random bits. */
  unit() {
    return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  },
  /** Expands '#' (digit), '%' (digit 1-9) and '@' (A-Z); other characters stay. */
  pattern(p) {
    let out = '';
    for (let i = 0; i < p.length; i++) {
      const ch = p.charCodeAt(i);
      if (ch === 35) out += String.fromCharCode(48 + Math.floor((next() * 10) / TWO_POW_32));
      else if (ch === 37) out += String.fromCharCode(49 + Math.floor((next() * 9) / TWO_POW_32));
      else if (ch === 64) out += UPPER[Math.floor((next() * 26) / TWO_POW_32)];
      else out += p[i];
    }
    return out;
  },
};

// ---------------------------------------------------------------------------
// Hashing of seeds and positions.

function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two independent 32-bit hashes of a string (FNV-1a variants, finalised). */
function hash64(s) {
  let h1 = 0x811c9dc5;
  let h2 = 0x2545f491;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return [fmix32(h1 ^ s.length), fmix32(h2 + Math.imul(s.length, 0x9e3779b9))];
}

/** A keyed bijection on 32-bit integers: distinct inputs give distinct outputs for one key. */
function permute32(x, k1, k2) {
  x = (x ^ k1) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x = (x ^ (x >>> 16)) + k2;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  return (x ^ (x >>> 15)) >>> 0;
}

const keyCache = new Map();
function keyFor(seed, natKey) {
  const id = natKey === '' ? seed : `${seed}\u0000${natKey}`;
  let key = keyCache.get(id);
  if (key === undefined) {
    if (keyCache.size > 4096) keyCache.clear();
    key = hash64(id);
    keyCache.set(id, key);
  }
  return key;
}

/**
 * A 32-bit hash of any list of values, for fault decisions; exported for the
 * server. Stable across runs and platforms.
 */
export function hashValues(...values) {
  return hash64(values.join('\u0001'))[0];
}

// ---------------------------------------------------------------------------

function hex32(w) {
  return HEX[w >>> 24] + HEX[(w >>> 16) & 255] + HEX[(w >>> 8) & 255] + HEX[w & 255];
}

const hasOneShotHash = typeof crypto.hash === 'function';
function digest(algorithm, text) {
  return hasOneShotHash ? crypto.hash(algorithm, text, 'hex') : crypto.createHash(algorithm).update(text).digest('hex');
}

function ageAt(iso) {
  const years = AGE_REF_YEAR - Number(iso.slice(0, 4));
  return iso.slice(4) > AGE_REF_REST ? years - 1 : years;
}

/**
 * Normalises a nationality filter like the real API: a comma list or array,
 * case-insensitive; any unknown code voids the whole filter (all
 * nationalities). Returns `null` for "all nationalities".
 */
export function normalizeNat(nat) {
  if (nat === undefined || nat === null || nat === '') return null;
  const parts = (Array.isArray(nat) ? nat : String(nat).split(',')).map((s) => String(s).trim().toUpperCase()).filter((s) => s.length > 0);
  if (parts.length === 0) return null;
  for (const p of parts) if (!NATS.includes(p)) return null;
  return parts;
}

/**
 * The fields a request includes, like the real API: `inc` (default: all)
 * minus `exc`; names are trimmed, lower-cased, and unknown names ignored.
 * Returns the included fields in output order.
 */
export function resolveFields(inc, exc) {
  const toList = (v) => (Array.isArray(v) ? v : String(v ?? '').split(',')).map((s) => String(s).trim().toLowerCase()).filter((s) => s.length > 0);
  const incList = toList(inc);
  const excList = toList(exc);
  const wanted = incList.length === 0 ? FIELDS : incList;
  return FIELDS.filter((f) => wanted.includes(f) && !excList.includes(f));
}

/** `{ gender: true, ... }` for the given field list. */
function fieldFlags(list) {
  return Object.fromEntries(FIELDS.map((f) => [f, list.includes(f)]));
}

const ALL_FIELDS = fieldFlags(FIELDS);

/** A random 16-hex-digit seed, as the real API makes up when none is given. */
export function randomSeed() {
  return crypto.randomBytes(8).toString('hex');
}

/**
 * Generates one user, as an object or (`json` true) as JSON text. `fields`
 * maps each field name to whether it is included;
 * `gender` forces the gender (the real API's `gender` parameter, honoured only
 * without a seed). Excluded fields are still drawn, so a user is the same
 * whatever `inc`/`exc` say.
 */
function buildUser(seed, nats, page, index, fields, gender, json) {
  const natKey = nats === null ? '' : nats.join(',');
  const [k1, k2] = keyFor(seed, natKey);
  const n = (page - 1) * MAX_RESULTS + index;
  seedRng(k1, k2, n, 0x5eed1e55);

  const nat = nats === null ? NATS[Math.floor((next() * NATS.length) / TWO_POW_32)] : nats.length === 1 ? nats[0] : g.pick(nats);
  const d = NAT_TABLE[nat];
  const drawnGender = next() < 2147483648 ? 'male' : 'female';
  const sex = gender ?? drawnGender;
  const first = g.pick(sex === 'male' ? d.male : d.female);
  const last = g.pick(d.last);
  const title = sex === 'male' ? d.titleMale : g.pick(d.titlesFemale);

  const streetNumber = g.int(1, 9999);
  const streetName = g.pick(d.streets);
  const city = g.pick(d.cities);
  const state = g.pick(d.states);
  const postcode = d.postcode(g);
  const latitude = (g.unit() * 180 - 90).toFixed(4);
  const longitude = (g.unit() * 360 - 180).toFixed(4);
  const timezone = g.pick(TIMEZONES);

  const w0 = permute32(n, k1, k2);
  const w1 = ((next() & 0xffff0fff) | 0x00004000) >>> 0;
  const w2 = ((next() & 0x3fffffff) | 0x80000000) >>> 0;
  const w3 = next();
  const uuid = `${hex32(w0)}-${hex32(w1).slice(0, 4)}-${hex32(w1).slice(4)}-${hex32(w2).slice(0, 4)}-${hex32(w2).slice(4)}${hex32(w3)}`;

  const username = g.pick(USER_WORDS_1) + g.pick(USER_WORDS_2) + g.int(100, 999);
  const password = g.pick(PASSWORDS);
  let salt = '';
  for (let i = 0; i < 8; i++) salt += SALT_CHARS[Math.floor((next() * 62) / TWO_POW_32)];

  const dobMs = DOB_MIN + Math.floor(g.unit() * (DOB_MAX - DOB_MIN + 1));
  const registeredMs = REGISTERED_MIN + Math.floor(g.unit() * (REGISTERED_MAX - REGISTERED_MIN + 1));
  const phone = d.phone(g);
  const cell = d.cell(g);
  const id = d.id(g, sex);
  const pictureId = sex === 'male' ? g.int(0, 99) : g.int(0, 96);

  if (json) {
    // The same user as the object below, written as JSON text directly: the
    // server's hot path. Word-list strings are checked at load to need no
    // escaping (see assertJsonSafe), the rest are digits, hex and ISO dates.
    let s = '{';
    let sep = '';
    if (fields.gender) {
      s += `"gender":"${sex}"`;
      sep = ',';
    }
    if (fields.name) {
      s += `${sep}"name":{"title":"${title}","first":"${first.display}","last":"${last.display}"}`;
      sep = ',';
    }
    if (fields.location) {
      const pc = typeof postcode === 'number' ? postcode : `"${postcode}"`;
      s +=
        `${sep}"location":{"street":{"number":${streetNumber},"name":"${streetName}"},"city":"${city}","state":"${state}",` +
        `"country":"${d.country}","postcode":${pc},"coordinates":{"latitude":"${latitude}","longitude":"${longitude}"},` +
        `"timezone":{"offset":"${timezone.offset}","description":"${timezone.description}"}}`;
      sep = ',';
    }
    if (fields.email) {
      s += `${sep}"email":"${first.ascii}.${last.ascii}@example.com"`;
      sep = ',';
    }
    if (fields.login) {
      const salted = password + salt;
      s +=
        `${sep}"login":{"uuid":"${uuid}","username":"${username}","password":"${password}","salt":"${salt}",` +
        `"md5":"${digest('md5', salted)}","sha1":"${digest('sha1', salted)}","sha256":"${digest('sha256', salted)}"}`;
      sep = ',';
    }
    if (fields.dob) {
      const date = new Date(dobMs).toISOString();
      s += `${sep}"dob":{"date":"${date}","age":${ageAt(date)}}`;
      sep = ',';
    }
    if (fields.registered) {
      const date = new Date(registeredMs).toISOString();
      s += `${sep}"registered":{"date":"${date}","age":${ageAt(date)}}`;
      sep = ',';
    }
    if (fields.phone) {
      s += `${sep}"phone":"${phone}"`;
      sep = ',';
    }
    if (fields.cell) {
      s += `${sep}"cell":"${cell}"`;
      sep = ',';
    }
    if (fields.id) {
      s += `${sep}"id":{"name":"${id.name}","value":${id.value === null ? 'null' : `"${id.value}"`}}`;
      sep = ',';
    }
    if (fields.picture) {
      const kind = sex === 'male' ? 'men' : 'women';
      s +=
        `${sep}"picture":{"large":"https://randomuser.me/api/portraits/${kind}/${pictureId}.jpg",` +
        `"medium":"https://randomuser.me/api/portraits/med/${kind}/${pictureId}.jpg",` +
        `"thumbnail":"https://randomuser.me/api/portraits/thumb/${kind}/${pictureId}.jpg"}`;
      sep = ',';
    }
    if (fields.nat) s += `${sep}"nat":"${nat}"`;
    return s + '}';
  }

  const user = {};
  if (fields.gender) user.gender = sex;
  if (fields.name) user.name = { title, first: first.display, last: last.display };
  if (fields.location) {
    user.location = {
      street: { number: streetNumber, name: streetName },
      city,
      state,
      country: d.country,
      postcode,
      coordinates: { latitude, longitude },
      timezone: { offset: timezone.offset, description: timezone.description },
    };
  }
  if (fields.email) user.email = `${first.ascii}.${last.ascii}@example.com`;
  if (fields.login) {
    const salted = password + salt;
    user.login = {
      uuid,
      username,
      password,
      salt,
      md5: digest('md5', salted),
      sha1: digest('sha1', salted),
      sha256: digest('sha256', salted),
    };
  }
  if (fields.dob) {
    const date = new Date(dobMs).toISOString();
    user.dob = { date, age: ageAt(date) };
  }
  if (fields.registered) {
    const date = new Date(registeredMs).toISOString();
    user.registered = { date, age: ageAt(date) };
  }
  if (fields.phone) user.phone = phone;
  if (fields.cell) user.cell = cell;
  if (fields.id) user.id = id;
  if (fields.picture) {
    const kind = sex === 'male' ? 'men' : 'women';
    user.picture = {
      large: `https://randomuser.me/api/portraits/${kind}/${pictureId}.jpg`,
      medium: `https://randomuser.me/api/portraits/med/${kind}/${pictureId}.jpg`,
      thumbnail: `https://randomuser.me/api/portraits/thumb/${kind}/${pictureId}.jpg`,
    };
  }
  if (fields.nat) user.nat = nat;
  return user;
}

/**
 * The user at `index` (0-based) of `page` (1-based) for `seed`, with all
 * fields. `nat` is the request's nationality filter (a code, a comma list or
 * an array; unknown codes void the filter, as on the real API): the same
 * (seed, nat, page, index) always gives the same user, `login.uuid` included.
 */
/** @returns {import('./mock-api.mjs').MockUser} */
export function generateUser(seed, page, index, nat) {
  return /** @type {import('./mock-api.mjs').MockUser} */ (buildUser(String(seed), normalizeNat(nat), page, index, ALL_FIELDS, undefined, false));
}

/** Just the `login.uuid` of {@link generateUser}, for tests that compute expected ids. */
export function userUuid(seed, page, index, nat) {
  return generateUser(seed, page, index, nat).login.uuid;
}

/**
 * Normalises request parameters the way the real API 1.4 does:
 * - `results`: missing, non-numeric, negative or above 5000 -> 1 (0 is kept: an empty page);
 * - `page`: missing, non-numeric, negative, 0 or above 10000 -> 1;
 * - `seed`: missing -> a random 16-hex-digit seed; `gender` is ignored when a seed is given;
 * - `nat`: comma list, case-insensitive; any unknown code -> all nationalities;
 * - `inc`/`exc`: field lists, unknown names ignored.
 */
export function normalizeParams(params = {}) {
  let results = params.results === undefined || params.results === null || params.results === '' ? NaN : Number(params.results);
  if (!Number.isInteger(results) || results < 0 || results > MAX_RESULTS) results = 1;
  let page = Number(params.page) || 1;
  if (!Number.isInteger(page) || page < 0 || page > MAX_PAGE) page = 1;
  const seedGiven = params.seed !== undefined && params.seed !== null && String(params.seed) !== '';
  const seed = seedGiven ? String(params.seed) : randomSeed();
  const gender = !seedGiven && (params.gender === 'male' || params.gender === 'female') ? params.gender : undefined;
  return { seed, page, results, nats: normalizeNat(params.nat), fields: resolveFields(params.inc, params.exc), gender };
}

/**
 * A whole response body as the real API builds it:
 * `{ results: [...], info: { seed, results, page, version: '1.4' } }`.
 * Parameters are normalised by {@link normalizeParams}.
 *
 * `generatePage({ seed, page, results, nat }).results[i]` equals
 * `generateUser(seed, page, i, nat)` restricted to the included fields.
 */
export function generatePage(params = {}) {
  const p = normalizeParams(params);
  const fields = fieldFlags(p.fields);
  const results = new Array(p.results);
  for (let i = 0; i < p.results; i++) results[i] = buildUser(p.seed, p.nats, p.page, i, fields, p.gender, false);
  return { results, info: { seed: p.seed, results: p.results, page: p.page, version: API_VERSION } };
}

/**
 * A normalised request's users, as objects (for corrupting or inspecting
 * one record); `index` as in {@link generatePage}.
 */
export function buildUserFor(p, index) {
  return buildUser(p.seed, p.nats, p.page, index, fieldFlags(p.fields), p.gender, false);
}

/**
 * The whole response body of a normalised request as UTF-8 buffers, built
 * a slice of users at a time: short-lived strings keep the garbage collector
 * cheap, and the buffers live outside the JS heap. Concatenated, they are the
 * JSON text of {@link generatePage}'s result.
 */
export function renderPageBuffers(p, replace, usersPerChunk = 100) {
  const fields = fieldFlags(p.fields);
  const chunks = [Buffer.from('{"results":[')];
  for (let start = 0; start < p.results; start += usersPerChunk) {
    const end = Math.min(p.results, start + usersPerChunk);
    let text = start === 0 ? '' : ',';
    for (let i = start; i < end; i++) {
      const replacement = replace?.(i);
      if (i > start) text += ',';
      text += replacement === undefined ? buildUser(p.seed, p.nats, p.page, i, fields, p.gender, true) : JSON.stringify(replacement);
    }
    chunks.push(Buffer.from(text));
  }
  const info = JSON.stringify({ seed: p.seed, results: p.results, page: p.page, version: API_VERSION });
  chunks.push(Buffer.from(`],"info":${info}}`));
  return chunks;
}
