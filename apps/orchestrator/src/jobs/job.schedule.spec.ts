import { ConfigError } from '@userstream/core';
import { describeSchedule, nextCronTime, nextRunTime, parseSchedule } from './job.schedule';

const at = (iso: string) => new Date(iso);
const next = (cron: string, after: string) => nextCronTime(cron, at(after))?.toISOString();

describe('nextCronTime (UTC)', () => {
  it('runs the reference schedule at the top of every hour', () => {
    expect(next('0 * * * *', '2025-06-01T10:15:00Z')).toBe('2025-06-01T11:00:00.000Z');
    // Strictly after: a due time is never returned twice.
    expect(next('0 * * * *', '2025-06-01T11:00:00Z')).toBe('2025-06-01T12:00:00.000Z');
    expect(next('@hourly', '2025-12-31T23:30:00Z')).toBe('2026-01-01T00:00:00.000Z');
  });

  it('handles steps, ranges, lists and names', () => {
    expect(next('*/15 * * * *', '2025-06-01T10:16:00Z')).toBe('2025-06-01T10:30:00.000Z');
    expect(next('5,35 9-17 * * MON-FRI', '2025-06-06T17:40:00Z')).toBe('2025-06-09T09:05:00.000Z'); // Friday evening -> Monday
    expect(next('0 0 1 JAN *', '2025-06-01T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('0 12 * * 7', '2025-06-02T00:00:00Z')).toBe('2025-06-08T12:00:00.000Z'); // 7 = Sunday
  });

  it('matches either day field when both are restricted (Vixie cron)', () => {
    // The 1st of the month, or any Monday.
    expect(next('0 0 1 * 1', '2025-06-25T00:00:00Z')).toBe('2025-06-30T00:00:00.000Z'); // Monday 30 June
    expect(next('0 0 1 * 1', '2025-06-30T00:00:00Z')).toBe('2025-07-01T00:00:00.000Z'); // Tuesday 1 July
  });

  it('returns undefined for a date that never comes', () => {
    expect(nextCronTime('0 0 31 2 *', at('2025-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('parseSchedule', () => {
  it('reads cron expressions and @every intervals', () => {
    expect(parseSchedule('0 * * * *')).toEqual({ cron: '0 * * * *' });
    expect(parseSchedule('@every 90s')).toEqual({ intervalMs: 90_000 });
    expect(parseSchedule('@every 2h')).toEqual({ intervalMs: 7_200_000 });
  });

  it('names the variable when the expression is wrong', () => {
    expect(() => parseSchedule('0 * * *', 'ORCHESTRATOR_JOB_SCHEDULE')).toThrow(ConfigError);
    expect(() => parseSchedule('61 * * * *', 'ORCHESTRATOR_JOB_SCHEDULE')).toThrow(
      /ORCHESTRATOR_JOB_SCHEDULE: invalid cron expression "61 \* \* \* \*": Field value \(61\) is out of range/,
    );
    expect(() => parseSchedule('@every 10ms', 'X')).toThrow(/X: an interval must be at least 1s/);
  });
});

describe('nextRunTime', () => {
  it('keeps an interval grid from the previous due time and skips missed slots (no catch-up)', () => {
    const schedule = { intervalMs: 60_000 };
    expect(nextRunTime(schedule, at('2025-06-01T10:00:10Z'))?.toISOString()).toBe('2025-06-01T10:01:10.000Z');
    expect(nextRunTime(schedule, at('2025-06-01T10:01:00.500Z'), at('2025-06-01T10:01:00Z'))?.toISOString()).toBe('2025-06-01T10:02:00.000Z');
    // Five minutes late: the next slot on the grid, not the four missed ones.
    expect(nextRunTime(schedule, at('2025-06-01T10:06:30Z'), at('2025-06-01T10:01:00Z'))?.toISOString()).toBe('2025-06-01T10:07:00.000Z');
  });

  it('describes schedules for people', () => {
    expect(describeSchedule({ cron: '0 * * * *' })).toBe('cron 0 * * * * (UTC)');
    expect(describeSchedule({ intervalMs: 3_600_000 })).toBe('every 1 h');
    expect(describeSchedule({ intervalMs: 90_000 })).toBe('every 90 s');
  });
});

describe('schedules through the cron package', () => {
  it('accepts the Vixie macros, including the two spellings cron lacks', () => {
    expect(next('@midnight', '2025-06-01T10:15:00Z')).toBe('2025-06-02T00:00:00.000Z');
    expect(next('@annually', '2025-06-01T10:15:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('@weekly', '2025-06-02T10:15:00Z')).toBe('2025-06-08T00:00:00.000Z'); // Sunday
  });

  it('refuses a seconds field, sub-minute macros and unknown words, naming the variable', () => {
    expect(() => parseSchedule('*/5 * * * * *', 'V')).toThrow(/V: invalid cron expression "\*\/5 \* \* \* \* \*": expected five fields/);
    expect(() => parseSchedule('@secondly', 'V')).toThrow(/V: invalid cron expression "@secondly": unknown macro/);
    expect(() => parseSchedule('0 * * * MONDAY', 'V')).toThrow(/V: invalid cron expression "0 \* \* \* MONDAY": Unknown alias/);
    expect(() => parseSchedule('0 * * * 8', 'V')).toThrow(/out of range/);
  });

  it('refuses an interval longer than one timer holds, pointing to cron', () => {
    expect(parseSchedule('@every 24d')).toEqual({ intervalMs: 24 * 86_400_000 });
    expect(() => parseSchedule('@every 25d', 'V')).toThrow(/V: an interval must be at most 24d \(got "@every 25d"\); for longer periods use a cron expression/);
  });
});
