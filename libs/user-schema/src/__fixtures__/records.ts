// Test-only helpers: seeded pseudo-random records for round-trip specs.
import type { UserRecordV2 } from '../record.types';

/** mulberry32: a tiny seeded PRNG, so failures reproduce. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces from several scripts, plus characters JSON and Avro must escape or
// length-count carefully: quotes, backslashes, controls, DEL, astral emoji.
const PIECES = ['a', 'Z', '7', ' ', 'é', 'ß', 'Ж', 'Илья', 'ایلیا', '東京', 'श', '😀', '👩‍💻', '"', '\\', '\n', '\t', '\u0001', '\u007f', '/', "O'Brien", '-'];

function text(rnd: () => number, maxPieces = 8): string {
  if (rnd() < 0.1) return '';
  const n = 1 + Math.floor(rnd() * maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rnd() * PIECES.length)];
  return s;
}

function hex(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
  return s;
}

export function randomUuid(rnd: () => number): string {
  return `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-${'89ab'[Math.floor(rnd() * 4)]}${hex(rnd, 3)}-${hex(rnd, 12)}`;
}

function maybe<T>(rnd: () => number, value: () => T): T | null {
  return rnd() < 0.25 ? null : value();
}

/** One pseudo-random v2 record: unicode, empty strings, nulls in the nullable numbers. */
export function randomRecord(rnd: () => number): UserRecordV2 {
  return {
    id: randomUuid(rnd),
    first_name: text(rnd),
    last_name: text(rnd),
    gender: rnd() < 0.5 ? 'female' : 'male',
    address: `${Math.floor(rnd() * 10000)} ${text(rnd)}, ${text(rnd)}, ${text(rnd)}, ${text(rnd)}`,
    postcode: rnd() < 0.5 ? String(Math.floor(rnd() * 100000)) : text(rnd, 3),
    email: `${text(rnd, 3)}@example.com`,
    username: text(rnd, 4),
    dob: new Date(Math.floor(rnd() * 2e12)).toISOString(),
    registered_date: new Date(Math.floor(rnd() * 2e12)).toISOString(),
    phone: text(rnd, 4),
    picture: `https://randomuser.me/api/portraits/${text(rnd, 2)}.jpg`,
    title: text(rnd, 2),
    nationality: text(rnd, 1),
    cell: text(rnd, 3),
    city: text(rnd),
    state: text(rnd),
    country: text(rnd),
    latitude: maybe(rnd, () => (rnd() - 0.5) * 180),
    longitude: maybe(rnd, () => (rnd() - 0.5) * 360),
    timezone_offset: text(rnd, 2),
    timezone_description: text(rnd),
    age: maybe(rnd, () => Math.floor(rnd() * 100) - (rnd() < 0.05 ? 2 ** 31 : 0)),
    picture_medium: text(rnd, 3),
    picture_thumbnail: text(rnd, 3),
    ingested_at: rnd() < 0.1 ? 0 : 1_600_000_000_000 + Math.floor(rnd() * 1e11),
  };
}
