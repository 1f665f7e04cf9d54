/** One notable event of a run: a try started, pages fetched, a retry and why, a wait for Kafka, a failure, a cancellation. */
export interface RunLogEntry {
  /** When it happened (ISO-8601); for an entry updated in place, the last update. */
  at: string;
  level: 'info' | 'warn' | 'error';
  /** The try it belongs to; absent for events of the run itself (queued, recovered after a restart). */
  tryNumber?: number;
  /** Text for people; from other apps too, so the dashboard shows it as text only. */
  message: string;
  /** Entries with the same key are one line updated in place (progress, a repeated error's count). */
  key?: string;
}

/** What a job or the scheduler notes; the log adds the time and the try. */
export interface RunLogNote {
  level: RunLogEntry['level'];
  message: string;
  key?: string;
}

/** Bounds of a run's log, so a run that fails in a loop cannot grow its history row without end. */
export interface RunLogLimits {
  /** Entries kept (the first one, a marker counting the dropped ones, and the newest). */
  maxEntries: number;
  /** Longer messages are cut, with an ellipsis. */
  maxMessageChars: number;
}

export const RUN_LOG_LIMITS: RunLogLimits = { maxEntries: 100, maxMessageChars: 500 };

const DROPPED_KEY = 'log:dropped';

/** `text` without control characters (newlines become spaces) and at most `max` characters. */
function clean(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = String(text).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Adds `entry` to `log` in place. An entry whose key is already there
 * replaces that line where it stands. Past `maxEntries`, the oldest entries
 * after the first are dropped and counted in a marker line, so the log keeps
 * how the run began and how it is going.
 */
export function appendRunLog(log: RunLogEntry[], entry: RunLogEntry, limits: RunLogLimits = RUN_LOG_LIMITS): void {
  const line: RunLogEntry = { ...entry, message: clean(entry.message, limits.maxMessageChars) };
  if (line.key !== undefined) {
    const index = log.findIndex((e) => e.key === line.key);
    if (index >= 0) {
      log[index] = line;
      return;
    }
  }
  log.push(line);
  const max = Math.max(3, limits.maxEntries);
  if (log.length <= max) return;
  let marker = log[1]?.key === DROPPED_KEY ? log[1] : undefined;
  if (!marker) {
    marker = { at: line.at, level: 'info', message: '', key: DROPPED_KEY };
    log.splice(1, 0, marker);
  }
  const excess = log.length - max;
  log.splice(2, excess);
  const dropped = Number(/^(\d+)/.exec(marker.message)?.[1] ?? 0) + excess;
  marker.message = `${dropped} earlier events dropped (the log keeps the first and the newest ${max - 2})`;
  marker.at = line.at;
}
