#!/usr/bin/env node
// Summarises a V8 CPU profile (.cpuprofile, e.g. from
// `node tools/bench/drain.mjs --cpu-prof`, which runs the stream-processor
// under --cpu-prof): self time by package, time spent under each stage of
// the hot path (decode, validate/bind, Cassandra driver, kafkajs, commit,
// metrics, logging), and the top self-time functions.
//
//   node tools/bench/profile.mjs [file.cpuprofile | directory (newest profile)] [--top 25]
//
// Writes <profile>.summary.json and <profile>.summary.md beside the profile.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { options } from './lib/args.mjs';
import { mdTable, resultsRoot, runMain } from './lib/output.mjs';

/** Where a frame comes from: an npm package, a workspace project, Node itself, or a V8 pseudo-frame. */
export function frameGroup(callFrame) {
  const url = callFrame.url ?? '';
  const name = callFrame.functionName;
  if (url === '') {
    if (name === '(garbage collector)' || name === '(idle)' || name === '(program)' || name === '(root)') return name;
    return '(native)';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm && !/node_modules\/@userstream\//.test(url)) return nm[1];
  const ws = /\/(libs|apps)\/([^/]+)\//.exec(url);
  if (ws) return ws[1] === 'libs' ? `@userstream/${ws[2]}` : `app: ${ws[2]}`;
  if (url.startsWith('node:')) return 'node (internals)';
  return url;
}

/** Hot-path stages: a sample counts for a stage when any frame of its stack matches. */
/** @type {Array<[string, (frame: { url: string, functionName: string }) => boolean]>} */
const STAGES = [
  ['decode (user-schema codec, avsc)', (f) => /user-schema\/dist\/user\.codec/.test(f.url) || /node_modules\/avsc\//.test(f.url)],
  ['validate + bind (cassandra-sink record mapping)', (f) => /cassandra-sink\/dist\/record\.mapping/.test(f.url)],
  ['cassandra-driver (encode, send, receive)', (f) => /node_modules\/cassandra-driver\//.test(f.url)],
  ['write runner + sink (cassandra-sink)', (f) => /cassandra-sink\/dist\/(write\.runner|cassandra\.sink)/.test(f.url)],
  ['kafkajs (fetch, decode batches, protocol)', (f) => /node_modules\/kafkajs\//.test(f.url)],
  [
    'offset commit (kafkajs commitOffsets*)',
    (f) => /node_modules\/kafkajs\//.test(f.url) && /commitOffsets|sendOffsetCommit|offsetCommit/i.test(f.functionName),
  ],
  ['consumer runner (@userstream/kafka)', (f) => /kafka\/dist\/(consumer\.|partition-progress)/.test(f.url)],
  ['processor handler (app)', (f) => /stream-processor\/dist\/processor\/stream-processor/.test(f.url)],
  ['metrics (prom-client)', (f) => /node_modules\/prom-client\//.test(f.url)],
  ['logging (pino)', (f) => /node_modules\/pino/.test(f.url)],
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
];

export function analyzeProfile(profile, { top = 25 } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Time per sample: the delta to the next sample (the last one gets the mean).
  const deltas = profile.timeDeltas ?? [];
  const samples = profile.samples ?? [];
  const totalUs = profile.endTime - profile.startTime;
  const mean = samples.length > 0 ? totalUs / samples.length : 0;
  const selfUs = new Map();
  const stageUs = new Map(STAGES.map(([name]) => [name, 0]));
  const stackCache = new Map();
  const stagesOf = (id) => {
    let hit = stackCache.get(id);
    if (hit) return hit;
    const set = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = nodes.get(cur).callFrame;
      for (const [name, match] of STAGES) if (match(f)) set.add(name);
    }
    hit = [...set];
    stackCache.set(id, hit);
    return hit;
  };
  for (let i = 0; i < samples.length; i++) {
    const us = i + 1 < deltas.length ? Math.max(0, deltas[i + 1]) : mean;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + us);
    for (const stage of stagesOf(samples[i])) stageUs.set(stage, /** @type {number} */ (stageUs.get(stage)) + us);
  }
  const byFunction = new Map();
  const byGroup = new Map();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const f = nodes.get(id).callFrame;
    const group = frameGroup(f);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    if (f.functionName !== '(idle)') busyUs += us;
    const file = (f.url ?? '').replace(/^.*node_modules\//, '').replace(/^.*\/(libs|apps)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    const entry = byFunction.get(key) ?? { function: f.functionName || '(anonymous)', location: `${file}:${f.lineNumber + 1}`, group, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const pct = (us) => Number(((us / totalUs) * 100).toFixed(1));
  const pctBusy = (us) => Number(((us / busyUs) * 100).toFixed(1));
  return {
    durationS: Number((totalUs / 1e6).toFixed(1)),
    busyS: Number((busyUs / 1e6).toFixed(1)),
    samples: samples.length,
    groups: [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .map(([group, us]) => ({ group, seconds: Number((us / 1e6).toFixed(2)), percent: pct(us), percentOfBusy: group === '(idle)' ? undefined : pctBusy(us) })),
    stages: [...stageUs].map(([stage, us]) => ({
      stage,
      seconds: Number((us / 1e6).toFixed(2)),
      percent: pct(us),
      percentOfBusy: stage === 'idle' ? undefined : pctBusy(us),
    })),
    topSelf: [...byFunction.values()]
      .filter((e) => e.function !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ function: e.function, location: e.location, group: e.group, seconds: Number((e.us / 1e6).toFixed(2)), percentOfBusy: pctBusy(e.us) })),
  };
}

export function profileMarkdown(file, a) {
  return [
    `# CPU profile: ${file}`,
    '',
    `${a.durationS} s profiled, ${a.busyS} s on the CPU (the rest idle: waiting for Kafka or Cassandra), ${a.samples} samples.`,
    '',
    '## Time under each stage of the hot path (inclusive; a sample counts for every stage on its stack)',
    '',
    mdTable(
      ['stage', 'CPU s', '% of busy'],
      a.stages.map((s) => [s.stage, s.seconds, s.percentOfBusy ?? '–']),
    ),
    '',
    '## Self time by package',
    '',
    mdTable(
      ['package', 'self s', '% of busy'],
      a.groups.slice(0, 20).map((g) => [g.group, g.seconds, g.percentOfBusy ?? '–']),
    ),
    '',
    '## Top self-time functions',
    '',
    mdTable(
      ['function', 'where', 'self s', '% of busy'],
      a.topSelf.map((e) => [`\`${e.function}\``, e.location, e.seconds, e.percentOfBusy]),
    ),
  ].join('\n');
}

function newestProfile(dir) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return files[0];
}

async function main() {
  const opts = options();
  let target = opts.positional[0] ?? join(resultsRoot(opts), 'drain', 'profile');
  if (statSync(target).isDirectory()) target = newestProfile(target);
  const analysis = analyzeProfile(JSON.parse(readFileSync(target, 'utf8')), { top: opts.count('top', 25) });
  const markdown = profileMarkdown(target, analysis);
  writeFileSync(`${target}.summary.json`, `${JSON.stringify(analysis, null, 2)}\n`);
  writeFileSync(`${target}.summary.md`, `${markdown}\n`);
  console.log(markdown);
  console.log(`\nwrote ${target}.summary.{json,md}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
