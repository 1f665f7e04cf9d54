import type { RunStatus as IngestRunStatus } from '@userstream/ingest-contract';
import type { RunLogNote } from '../runs/run-log';

/** `12.3 s`, `4 min`: a wait for people. */
function seconds(ms: number): string {
  return ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * The notable changes between two statuses of one ingest run, as run-log
 * notes: the run started, pages fetched (one line, updated), problems the
 * run met and retried (one line per kind, with its count), waits for Kafka
 * and their end, and how the run ended. `previous` is undefined for the
 * first status.
 */
export function ingestRunNotes(previous: IngestRunStatus | undefined, current: IngestRunStatus, now = Date.now()): RunLogNote[] {
  const notes: RunLogNote[] = [];
  if (!previous) notes.push({ level: 'info', message: `ingest run ${current.id} started` });
  const c = current.counts;
  const before = previous?.counts;
  const changed = !before || c.pagesFetched !== before.pagesFetched || c.acknowledged !== before.acknowledged;
  if (changed && c.pagesFetched > 0) {
    notes.push({
      level: 'info',
      key: 'pages',
      message: `${c.pagesFetched} pages fetched: ${c.fetched} records, ${c.valid} valid, ${c.invalid} invalid, ${c.acknowledged} acknowledged by Kafka`,
    });
  }
  for (const problem of current.errors ?? []) {
    const seen = previous?.errors?.find((e) => e.code === problem.code)?.count ?? 0;
    if (problem.count > seen) {
      notes.push({ level: 'warn', key: `problem:${problem.code}`, message: `ingest retried: ${problem.code}: ${problem.message} (x${problem.count})` });
    }
  }
  const wait = current.waiting;
  if (wait && wait.since !== previous?.waiting?.since) {
    notes.push({ level: 'warn', key: `kafka-wait:${wait.since}`, message: `waiting for Kafka since ${wait.since}: ${wait.reason}` });
  }
  if (previous?.waiting && previous.waiting.since !== wait?.since) {
    const since = previous.waiting;
    const waited = seconds(Math.max(0, now - Date.parse(since.since)));
    const after = current.state === 'running' ? '; it answers again' : '';
    notes.push({ level: 'info', key: `kafka-wait:${since.since}`, message: `waited ${waited} for Kafka (since ${since.since}: ${since.reason})${after}` });
  }
  if (current.state !== 'running' && previous?.state !== current.state) {
    const reason = current.error ? `: ${current.error}` : '';
    notes.push({
      level: current.state === 'succeeded' ? 'info' : current.state === 'cancelled' ? 'warn' : 'error',
      message: `ingest run ${current.id} ${current.state}${reason}`,
    });
  }
  return notes;
}
