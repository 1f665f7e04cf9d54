import type { RunStatus } from '@userstream/ingest-contract';

/** What a progress line shows. */
export interface ProgressView {
  status: RunStatus;
  /** Time since the run started, in ms. */
  elapsedMs: number;
  /** Terminal width in columns. */
  width: number;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Share done in [0, 1]: by records when bounded by a count, else by time; the larger of both when bounded by both. */
export function progressRatio(status: RunStatus, elapsedMs: number): number {
  const { records, durationSeconds } = status.params;
  const consumed = status.counts.valid + status.counts.invalid;
  const byRecords = records === undefined ? 0 : consumed / records;
  const byTime = durationSeconds === undefined ? 0 : elapsedMs / (durationSeconds * 1000);
  return Math.max(0, Math.min(1, Math.max(byRecords, byTime)));
}

/** Records acknowledged per second over `elapsedMs`. */
export function recordsPerSecond(acknowledged: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (acknowledged * 1000) / elapsedMs : 0;
}

/**
 * One progress line: a bar for a terminal (`bar: true`), or a plain line
 * for logs and pipes.
 */
export function formatProgress(view: ProgressView, bar: boolean): string {
  const { status, elapsedMs } = view;
  const c = status.counts;
  const ratio = progressRatio(status, elapsedMs);
  const rate = Math.round(recordsPerSecond(c.acknowledged, elapsedMs));
  const target = status.params.records === undefined ? '' : `/${status.params.records}`;
  const text = `${c.valid + c.invalid}${target} users  ${c.acknowledged} acked  ${c.invalid} invalid  ${rate} rec/s  ${clock(elapsedMs)}`;
  if (!bar) return `progress: ${Math.floor(ratio * 100)}% ${text}`;
  const barWidth = Math.max(10, Math.min(40, view.width - text.length - 10));
  const filled = Math.round(ratio * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${text}`;
}

/** The end-of-run summary: counts, throughput, offsets, errors and the cursor to replay or continue. */
export function formatSummary(status: RunStatus, elapsedMs: number, topic: string): string {
  const c = status.counts;
  const p = status.params;
  const seconds = elapsedMs / 1000;
  const lines = [
    `ingest run ${status.id} ${status.state} in ${seconds.toFixed(1)} s`,
    `  pages fetched   ${c.pagesFetched}`,
    `  users fetched   ${c.fetched} (valid ${c.valid}, invalid ${c.invalid}, discarded ${c.discarded})`,
    `  produced        ${c.produced}`,
    `  acknowledged    ${c.acknowledged}`,
    `  throughput      ${Math.round(recordsPerSecond(c.acknowledged, elapsedMs))} records/s acknowledged`,
    `  topic           ${topic} (${p.encoding})`,
  ];
  if (status.offsets && status.offsets.partitions.length > 0) {
    lines.push(`  offsets         ${status.offsets.partitions.map((o) => `p${o.partition} ${o.first}-${o.last}`).join(', ')}`);
  }
  for (const e of status.errors) lines.push(`  ${e.code} x${e.count}: ${e.message}`);
  if (status.error !== undefined) lines.push(`  reason          ${status.error}`);
  const nat = p.nat === undefined ? '' : ` --nat ${p.nat}`;
  const seed = /^[\w.-]+$/.test(p.seed) ? p.seed : `'${p.seed.replace(/'/g, `'\\''`)}'`;
  const replayRecords = c.valid + c.invalid;
  lines.push(
    `  cursor          seed ${status.cursor.seed}, pages ${status.cursor.startPage}..${status.cursor.nextPage - 1}, next page ${status.cursor.nextPage}`,
    `  replay          --seed ${seed} --start-page ${p.startPage} --page-size ${p.pageSize} --records ${replayRecords}${nat}`,
    `  continue        --seed ${seed} --start-page ${status.cursor.nextPage} --page-size ${p.pageSize}${nat}`,
  );
  return `${lines.join('\n')}\n`;
}
