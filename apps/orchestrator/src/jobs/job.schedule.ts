import { ConfigError } from '@userstream/core';

/**
 * When a job runs: a five-field cron expression (evaluated in UTC, like
 * Airflow's default time zone) or a fixed interval.
 */
export type JobSchedule = { cron: string } | { intervalMs: number };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Vixie cron: when both day fields are restricted, a day matches if either matches. */
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseField(text: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  const value = (token: string): number => {
    const upper = token.toUpperCase();
    const named = names?.indexOf(upper) ?? -1;
    if (named >= 0) return named + (names === MONTH_NAMES ? 1 : 0);
    if (!/^\d+$/.test(token)) throw new Error(`"${token}" is not a number`);
    return Number(token);
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    if (from < min || to > max || from > to) throw new Error(`"${part}" is outside ${min}-${max}`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function parseCron(expression: string): CronFields {
  const fields = (MACROS[expression.trim().toLowerCase()] ?? expression).trim().split(/\s+/);
  if (fields.length !== 5) throw new Error('expected five fields: minute hour day-of-month month day-of-week');
  const daysOfWeek = parseField(fields[4], 0, 7, DAY_NAMES);
  if (daysOfWeek.has(7)) {
    daysOfWeek.delete(7);
    daysOfWeek.add(0);
  }
  return {
    minutes: parseField(fields[0], 0, 59),
    hours: parseField(fields[1], 0, 23),
    daysOfMonth: parseField(fields[2], 1, 31),
    months: parseField(fields[3], 1, 12, MONTH_NAMES),
    daysOfWeek,
    dayOfMonthRestricted: fields[2] !== '*',
    dayOfWeekRestricted: fields[4] !== '*',
  };
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
    return { intervalMs };
  }
  try {
    parseCron(text);
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
 * in UTC. Returns `undefined` when nothing matches within five years
 * (e.g. `0 0 31 2 *`).
 */
export function nextCronTime(expression: string, after: Date): Date | undefined {
  const c = parseCron(expression);
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  const dayMatches = () => {
    const dom = c.daysOfMonth.has(t.getUTCDate());
    const dow = c.daysOfWeek.has(t.getUTCDay());
    if (c.dayOfMonthRestricted && c.dayOfWeekRestricted) return dom || dow;
    return dom && dow;
  };
  while (t.getTime() <= limit) {
    if (!c.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches()) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!c.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!c.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else {
      return t;
    }
  }
  return undefined;
}

/**
 * The next time a job with `schedule` is due after `after`. Interval
 * schedules count from `anchor` (the previous due time) when given, so a
 * slow run does not shift the grid; without one they count from `after`.
 */
export function nextRunTime(schedule: JobSchedule, after: Date, anchor?: Date): Date | undefined {
  if ('cron' in schedule) return nextCronTime(schedule.cron, after);
  if (!anchor) return new Date(after.getTime() + schedule.intervalMs);
  const elapsed = after.getTime() - anchor.getTime();
  const steps = Math.max(1, Math.floor(elapsed / schedule.intervalMs) + 1);
  return new Date(anchor.getTime() + steps * schedule.intervalMs);
}
