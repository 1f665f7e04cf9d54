#!/usr/bin/env node
// Builds the README's configuration table from the apps' own config specs
// (the same objects that validate the environment at start), so the table
// cannot drift from the code. `--check` exits 1 when README.md is stale;
// `--write` updates it. Needs the apps built (npx nx run-many -t build).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const README = path.join(root, 'README.md');
const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

const APPS = ['ingest', 'stream-processor', 'orchestrator'];

/** Settings read by the tools rather than the apps. */
const TOOL_SETTINGS = [
  { env: 'INGEST_PORT / PROCESSOR_PORT / ORCHESTRATOR_PORT', def: '3001 / 3002 / 3000', usedBy: 'npm start', description: 'ports `npm start` gives the apps' },
  { env: 'START_RUN_SECONDS', def: '60', usedBy: 'npm start', description: 'length of the first streaming run `npm start` triggers (`--seconds`)' },
  { env: 'USERSTREAM_MOCK_API', def: '(unset)', usedBy: 'npm start', description: '`1`: serve the API from the local mock (same as `--mock`)' },
  { env: 'MOCK_API_PORT', def: '3100', usedBy: 'npm start, mock-api', description: 'port of the randomuser.me mock' },
  { env: 'USERSTREAM_STACK_DIR', def: '`.stack`', usedBy: 'dev stack', description: 'jars, data, logs and pid files of the local Kafka and Cassandra' },
  { env: 'KAFKA_PORT / KAFKA_CONTROLLER_PORT', def: '9092 / 9093', usedBy: 'dev stack', description: 'Kafka broker and KRaft controller ports' },
  { env: 'CASSANDRA_PORT / CASSANDRA_STORAGE_PORT', def: '9042 / 7000', usedBy: 'dev stack', description: 'Cassandra CQL and storage ports' },
  {
    env: 'STACK_START_TIMEOUT_MS / STACK_STOP_TIMEOUT_MS',
    def: '180000 / 30000',
    usedBy: 'dev stack',
    description: 'how long to wait for a server to answer / to stop before SIGKILL',
  },
  { env: 'USERSTREAM_KEEP_STACK', def: '(unset)', usedBy: 'npm test', description: '`1`: leave a stack the tests started running' },
];

function specsOf(app) {
  const mod = require(path.join(root, 'apps', app, 'dist', 'app.config.js'));
  const name = Object.keys(mod).find((k) => k.endsWith('ConfigSpec'));
  if (!name) throw new Error(`apps/${app}/dist/app.config.js exports no *ConfigSpec`);
  return Object.values(mod[name]);
}

function formatDefault(f) {
  if (f.secret) return f.default === undefined ? '(secret, unset)' : '(secret)';
  if (f.default === undefined) return f.optional ? '(unset)' : '(required)';
  return `\`${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}\``;
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function buildTable() {
  const byEnv = new Map();
  for (const app of APPS) {
    for (const f of specsOf(app)) {
      const entry = byEnv.get(f.env) ?? { env: f.env, apps: [], defaults: new Map(), descriptions: [] };
      entry.apps.push(app);
      entry.defaults.set(app, formatDefault(f));
      if (f.values && !entry.values) entry.values = f.values;
      entry.descriptions.push(f.description);
      byEnv.set(f.env, entry);
    }
  }
  const rows = [...byEnv.values()].map((e) => {
    const defaults = [...new Set(e.defaults.values())];
    const def = defaults.length === 1 ? defaults[0] : [...e.defaults].map(([app, d]) => `${d} (${app})`).join(', ');
    // Per-app wording like "HTTP port of the ingest app" reads as one setting when shared.
    const description = e.apps.length > 1 ? e.descriptions[0].replace(/ of the [a-z-]+ app\b/, '') : e.descriptions[0];
    const values = e.values ? `; one of ${e.values.map((v) => `\`${v}\``).join(', ')}` : '';
    return `| \`${e.env}\` | ${def} | ${e.apps.join(', ')} | ${cell(description)}${values} |`;
  });
  const toolRows = TOOL_SETTINGS.map((t) => `| \`${t.env}\` | ${t.def} | ${t.usedBy} | ${cell(t.description)} |`);
  return ['| variable | default | used by | description |', '| --- | --- | --- | --- |', ...rows, ...toolRows].join('\n');
}

export function readmeWithTable(readme, table) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} section`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const readme = readFileSync(README, 'utf8');
  const updated = readmeWithTable(readme, buildTable());
  if (process.argv.includes('--write')) {
    writeFileSync(README, updated);
    console.log('README.md configuration table updated.');
  } else if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md configuration table is stale: run `node tools/docs/config-table.mjs --write`.');
      process.exit(1);
    }
    console.log('README.md configuration table is up to date.');
  } else {
    console.log(buildTable());
  }
}
