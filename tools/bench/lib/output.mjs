// Writes a benchmark's results: bench-results/<name>/result.json, summary.md
// and chart.svg, and prints the summary.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './env.mjs';

export const RESULT_FILES = ['result.json', 'summary.md', 'chart.svg'];

export function resultsRoot(opts) {
  return opts?.string?.('out') ?? process.env.BENCH_RESULTS_DIR ?? join(REPO_ROOT, 'bench-results');
}

/** Markdown table from a header row and rows of cells. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c ?? '–').replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The machine section every summary ends with. */
export function mdMachine(machine, command) {
  return [
    '## Machine',
    '',
    `${machine.cpuModel ?? 'unknown CPU'}, ${machine.cores} cores, ${formatMb(machine.memTotalMb)} RAM, ${machine.os}; Node ${machine.node}; Kafka ${machine.kafka ?? '?'}, Cassandra ${machine.cassandra ?? '?'} (single nodes on the same machine); revision ${machine.revision ?? '?'}; load average at start ${machine.loadAverage.join(' ')}.`,
    '',
    `Reproduce: \`${command}\``,
  ].join('\n');
}

function formatMb(mb) {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${mb} MiB`;
}

/** Writes the three files and prints the summary. Returns the folder. */
export function writeResults(name, { result, markdown, svg }, opts) {
  const dir = join(resultsRoot(opts), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'summary.md'), `${markdown.trim()}\n`);
  writeFileSync(join(dir, 'chart.svg'), svg);
  console.log(`\n${markdown.trim()}\n`);
  console.log(`wrote ${relative(process.cwd(), dir) || dir}/{${RESULT_FILES.join(',')}}`);
  return dir;
}

/** The result.json of another benchmark, or undefined. */
export function readResult(name, opts) {
  const file = join(resultsRoot(opts), name, 'result.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Rounds for JSON: integers above 100, 3 significant digits below. */
export function round(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(digits));
}

/**
 * Runs `main` and turns a failure into a message and exit code 1. A client
 * left open by a failure must not keep the process (and all.mjs) waiting:
 * it exits anyway a few seconds later.
 */
export function runMain(main) {
  const exitSoon = (ms) => setTimeout(() => process.exit(process.exitCode ?? 0), ms).unref();
  main().then(
    () => {
      process.exitCode = process.exitCode ?? 0;
      exitSoon(15_000);
    },
    (error) => {
      console.error(`\nbenchmark failed: ${error?.stack ?? error}`);
      process.exitCode = 1;
      exitSoon(5_000);
    },
  );
}
