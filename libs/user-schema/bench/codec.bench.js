// Micro-benchmark of the user-schema codecs on one core.
//
// Usage (after `npx nx run @userstream/user-schema:build`):
//   node libs/user-schema/bench/codec.bench.js [--seconds 2]
// Prints ops/s per case and writes bench-results/codec.json at the repo root.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { UserCodec, fromRandomUser, getUserSchema } = require('../dist');

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;
const WARMUP_MS = 300;
const BATCH = 1000;

// Deterministic, realistic records: API-shaped results mapped by fromRandomUser.
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
const rnd = lcg(42);
const FIRST = ['Jennie', 'Илья', 'ایلیا', 'Maëlle', 'Sebastián', 'Noah', 'Aiko', 'Oğuz'];
const LAST = ['Nichols', 'Литвиненко', 'کامروا', "D'Artois", 'García', 'Smith', 'Tanaka', 'Yıldız'];
const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const pick = (list) => list[Math.floor(rnd() * list.length)];

function apiResult(i) {
  const first = pick(FIRST);
  const last = pick(LAST);
  return {
    gender: rnd() < 0.5 ? 'female' : 'male',
    name: { title: 'Ms', first, last },
    location: {
      street: { number: Math.floor(rnd() * 9999), name: `${pick(LAST)} Street` },
      city: 'Billings',
      state: 'Michigan',
      country: 'United States',
      postcode: rnd() < 0.5 ? Math.floor(rnd() * 99999) : `W${Math.floor(rnd() * 9)} 8XZ`,
      coordinates: { latitude: String((rnd() - 0.5) * 180), longitude: String((rnd() - 0.5) * 360) },
      timezone: { offset: '+9:30', description: 'Adelaide, Darwin' },
    },
    email: `${first.toLowerCase()}.${i}@example.com`,
    login: { uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`, username: `user${i}` },
    dob: { date: '1992-03-08T15:13:16.688Z', age: 30 },
    registered: { date: '2007-07-09T05:51:59.390Z', age: 14 },
    phone: '(272) 790-0888',
    cell: '(489) 330-2385',
    picture: {
      large: 'https://randomuser.me/api/portraits/women/75.jpg',
      medium: 'https://randomuser.me/api/portraits/med/women/75.jpg',
      thumbnail: 'https://randomuser.me/api/portraits/thumb/women/75.jpg',
    },
    nat: 'US',
  };
}

const results = Array.from({ length: 1024 }, (_, i) => apiResult(i));
const records = results.map((r) => fromRandomUser(r, { ingestedAt: 1732550400000 }));
const codec = new UserCodec();
codec.registerSchemaId(1, getUserSchema(1).json);
codec.registerSchemaId(2, getUserSchema(2).json);
const v1Type = getUserSchema(1).type;
const v1Records = records.map((r) =>
  Object.fromEntries(
    Object.keys(r)
      .slice(0, 12)
      .map((k) => [k, r[k]]),
  ),
);

let sink = 0;
const mask = records.length - 1;

function run(fn, until) {
  let i = 0;
  let ops = 0;
  let now = process.hrtime.bigint();
  while (now < until) {
    for (let k = 0; k < BATCH; k++) sink ^= fn(i++ & mask) ? 1 : 0;
    ops += BATCH;
    now = process.hrtime.bigint();
  }
  return { ops, now };
}

const cases = [];
const add = (name, fn, values) => cases.push({ name, fn, values });
const encoded = {};
for (const [name, opts] of [
  ['avro', { encoding: 'avro' }],
  ['confluent', { encoding: 'confluent', schemaId: 2 }],
  ['json', { encoding: 'json' }],
]) {
  encoded[name] = records.map((r) => codec.encode(r, opts));
  add(`encode ${name} (v2 writer)`, (i) => codec.encode(records[i], opts), encoded[name]);
  add(`decode ${name} (v2 reader)`, (i) => codec.decode(encoded[name][i]));
}
const v1Avro = records.map((r) => codec.encode(r, { encoding: 'avro', schemaVersion: 1 }));
add('decode avro v1 bytes with v2 reader (resolver)', (i) => codec.decode(v1Avro[i]), v1Avro);
add('fromRandomUser (mapping)', (i) => fromRandomUser(results[i]));
const v1Raw = v1Records.map((r) => v1Type.toBuffer(r));
add('baseline: avsc toBuffer, 12-string v1 record', (i) => v1Type.toBuffer(v1Records[i]), v1Raw);
add('baseline: avsc fromBuffer, 12-string v1 record', (i) => v1Type.fromBuffer(v1Raw[i]));

// Warm every case first so that the JIT has settled before any measurement.
for (const c of cases) run(c.fn, process.hrtime.bigint() + BigInt(WARMUP_MS) * 1_000_000n);

const rows = cases.map(({ name, fn, values }) => {
  const start = process.hrtime.bigint();
  const { ops, now } = run(fn, start + BigInt(Math.round(SECONDS * 1e9)));
  const seconds = Number(now - start) / 1e9;
  const row = { name, ops, seconds: Number(seconds.toFixed(3)), opsPerSec: Math.round(ops / seconds) };
  if (values) row.avgBytes = Math.round(values.reduce((a, b) => a + b.length, 0) / values.length);
  console.log(`${name.padEnd(48)} ${String(row.opsPerSec).padStart(10)} ops/s${row.avgBytes ? `  (${row.avgBytes} B/value)` : ''}`);
  return row;
});

const out = {
  benchmark: 'user-schema codec',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  secondsPerCase: SECONDS,
  results: rows,
  sink,
};
const dir = path.resolve(__dirname, '../../../bench-results');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'codec.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${path.join(dir, 'codec.json')}`);
