import { CronTime } from 'cron';
import { ConfigError } from '@userstream/core';

/**
 * When a job runs: a five-field cron expression (evaluated in UTC, like
 * Airflow's default time zone) or a fixed interval.
 */
export type JobSchedule = { cron: string } | { intervalMs: number };

/** Cron expressions are evaluated in this zone. */
export const SCHEDULE_TIME_ZONE = 'UTC';

/**
 * The macros a schedule may use, as the `cron` package names them. Two
 * Vixie-cron spellings it lacks map to its own; its second-level presets
 * (`@secondly`, `@minutely`…) are not offered: a schedule is at most
 * once a minute, like the five-field expressions.
 */
const MACROS: Record<string, string> = {
  '@hourly': '@hourly',
  '@daily': '@daily',
  '@midnight': '@daily',
  '@weekly': '@weekly',
  '@monthly': '@monthly',
  '@yearly': '@yearly',
  '@annually': '@yearly',
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest wait one Node timer holds (about 24.8 days); a longer interval is a job for a cron expression. */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** A cron expression in the `cron` package's spelling (macros mapped); throws with the reason when it is not a five-field expression. */
export function cronSource(expression: string): string {
  const text = expression.trim();
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (!macro) throw new Error(`unknown macro (use one of ${Object.keys(MACROS).join(', ')} or @every <n><unit>)`);
    return macro;
  }
  // `cron` also takes a leading seconds field; a job schedule has minutes at most.
  if (text.split(/\s+/).length !== 5) throw new Error('expected five fields: minute hour day-of-month month day-of-week');
  return text;
}

/** The expression's `CronTime` in UTC; throws `cron`'s reason when the expression is invalid. */
export function cronTimeOf(expression: string): CronTime {
  return new CronTime(cronSource(expression), SCHEDULE_TIME_ZONE);
}

/**
 * Parses a schedule as written in configuration: a cron expression
 * (`0 * * * *`, `@hourly`) or `@every <n><unit>` with unit ms, s, m, h or d
 * (`@every 90s`). Throws {@link ConfigError} naming `variable` when invalid.
 */
export function parseSchedule(text: string, variable = 'schedule'): JobSchedule {
  const every = /^@every\s+(\d+)\s*(ms|s|m|h|d)$/i.exec(text.trim());
  if (every) {
    const intervalMs = Number(every[1]) * UNIT_MS[every[2].toLowerCase()];
    if (intervalMs < 1000) throw new ConfigError(`${variable}: an interval must be at least 1s (got "${text}")`, { details: { variable } });
    if (intervalMs > MAX_INTERVAL_MS) {
      throw new ConfigError(`${variable}: an interval must be at most 24d (got "${text}"); for longer periods use a cron expression such as "0 0 1 * *"`, {
        details: { variable },
      });
    }
    return { intervalMs };
  }
  try {
    cronTimeOf(text);
  } catch (error) {
    throw new ConfigError(`${variable}: invalid cron expression "${text}": ${(error as Error).message}`, { details: { variable } });
  }
  return { cron: text.trim() };
}

/** A readable form of a schedule, e.g. `cron 0 * * * * (UTC)` or `every 60 s`. */
export function describeSchedule(schedule: JobSchedule): string {
  if ('cron' in schedule) return `cron ${schedule.cron} (UTC)`;
  const ms = schedule.intervalMs;
  if (ms % 3_600_000 === 0) return `every ${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `every ${ms / 60_000} min`;
  if (ms % 1000 === 0) return `every ${ms / 1000} s`;
  return `every ${ms} ms`;
}

/**
 * The first time strictly after `after` that matches the cron expression,
 * in UTC (`cron`'s `CronTime`). Returns `undefined` when nothing matches
 * (e.g. `0 0 31 2 *`: `cron` gives up after eight years).
 */
export function nextCronTime(expression: string, after: Date): Date | undefined {
  try {
    return cronTimeOf(expression).getNextDateFrom(after, SCHEDULE_TIME_ZONE).toJSDate();
  } catch {
    return undefined;
  }
}

/**
 * The next time a job with `schedule` is due after `after`. Interval
 * schedules count from `anchor` (the previous due time) when given, so a
 * slow run does not shift the grid; without one they count from `after`.
 * (`cron` has no interval schedules: this grid is ours.)
 */
export function nextRunTime(schedule: JobSchedule, after: Date, anchor?: Date): Date | undefined {
  if ('cron' in schedule) return nextCronTime(schedule.cron, after);
  if (!anchor) return new Date(after.getTime() + schedule.intervalMs);
  const elapsed = after.getTime() - anchor.getTime();
  const steps = Math.max(1, Math.floor(elapsed / schedule.intervalMs) + 1);
  return new Date(anchor.getTime() + steps * schedule.intervalMs);
}
