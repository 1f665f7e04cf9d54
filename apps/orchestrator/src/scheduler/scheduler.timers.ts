import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { cronSource, MAX_INTERVAL_MS, nextCronTime, nextRunTime, SCHEDULE_TIME_ZONE, type JobSchedule } from '../jobs/job.schedule';

/** Called at a due time with that time and the one after it (`undefined`: none). */
export type OnDue = (dueAt: Date, next: Date | undefined) => void;

/**
 * The scheduler's named timers, kept in @nestjs/schedule's
 * {@link SchedulerRegistry}: a cron schedule is a `cron` `CronJob` (which
 * also waits out delays longer than one Node timer holds); an interval slot
 * or a retry is a one-shot timeout. Interval schedules and retry delays are
 * bounded by configuration to what one timer holds (about 24.8 days).
 */
export class SchedulerTimers {
  /** The names armed here, so {@link cancelAll} leaves other timers of the registry alone. */
  private readonly names = new Set<string>();

  constructor(private readonly registry: SchedulerRegistry) {}

  /**
   * Arms `name` for every due time of `schedule` from now on: a cron
   * expression in UTC, or an interval on the grid that starts at `anchor`
   * (the previous due time; from now when absent). Returns the first due
   * time, or `undefined` when the schedule never comes due (nothing is armed).
   */
  repeat(name: string, schedule: JobSchedule, anchor: Date | undefined, onDue: OnDue): Date | undefined {
    this.cancel(name);
    if ('cron' in schedule) {
      let due = nextCronTime(schedule.cron, new Date());
      if (!due) return undefined;
      const job = CronJob.from({
        cronTime: cronSource(schedule.cron),
        timeZone: SCHEDULE_TIME_ZONE,
        name,
        onTick: () => {
          const dueAt = due ?? new Date();
          // The job has already re-armed itself: its next date is the following due time.
          due = job.nextDate().toJSDate();
          onDue(dueAt, due);
        },
      });
      this.registry.addCronJob(name, job);
      this.names.add(name);
      job.start();
      return due;
    }
    const at = nextRunTime(schedule, new Date(), anchor);
    if (!at) return undefined;
    this.once(name, at, () => onDue(at, this.repeat(name, schedule, at, onDue)));
    return at;
  }

  /** Calls `action` once at `at` (at once when it has passed). Throws RangeError beyond what one timer holds. */
  once(name: string, at: Date, action: () => void): void {
    this.cancel(name);
    const delay = Math.max(0, at.getTime() - Date.now());
    if (delay > MAX_INTERVAL_MS) throw new RangeError(`timer ${name}: ${delay} ms is longer than one timer holds (${MAX_INTERVAL_MS} ms)`);
    const timer = setTimeout(() => {
      this.cancel(name);
      action();
    }, delay);
    this.registry.addTimeout(name, timer);
    this.names.add(name);
  }

  /** Whether `name` is armed. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Disarms `name` if armed. */
  cancel(name: string): void {
    if (this.registry.doesExist('cron', name)) this.registry.deleteCronJob(name);
    if (this.registry.doesExist('timeout', name)) this.registry.deleteTimeout(name);
    this.names.delete(name);
  }

  /** Disarms every timer armed here. */
  cancelAll(): void {
    for (const name of [...this.names]) this.cancel(name);
  }
}
