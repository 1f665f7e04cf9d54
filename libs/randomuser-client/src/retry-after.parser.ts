/**
 * Reads an HTTP `Retry-After` value as a delay in milliseconds: either
 * delta-seconds (`"120"`, decimals tolerated) or an HTTP date, counted from
 * `now`. Returns `undefined` for a missing or unreadable value; a date in the
 * past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  // HTTP dates always name the month; this keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
