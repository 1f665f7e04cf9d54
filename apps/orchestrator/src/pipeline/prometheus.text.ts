/**
 * Sums the samples of each metric in Prometheus text exposition format,
 * over all label sets: `{ userstream_processor_records_written_total: 1234 }`.
 * Comment lines, NaN and malformed lines are skipped.
 */
export function sumPrometheusSamples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    out[match[1]] = (out[match[1]] ?? 0) + value;
  }
  return out;
}
