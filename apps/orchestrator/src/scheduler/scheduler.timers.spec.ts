import { SchedulerRegistry } from '@nestjs/schedule';
import { SchedulerTimers } from './scheduler.timers';

const MIN = 60_000;
const DAY = 86_400_000;

describe('SchedulerTimers', () => {
  let registry: SchedulerRegistry;
  let timers: SchedulerTimers;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2025-06-01T10:15:00Z') });
    registry = new SchedulerRegistry();
    timers = new SchedulerTimers(registry);
  });

  afterEach(() => {
    timers.cancelAll();
    jest.useRealTimers();
  });

  it('runs a cron schedule as a CronJob in the registry, passing each due time and the next', async () => {
    const due: Array<[string, string | undefined]> = [];
    const first = timers.repeat('schedule:a', { cron: '*/20 * * * *' }, undefined, (at, next) => due.push([at.toISOString(), next?.toISOString()]));
    expect(first?.toISOString()).toBe('2025-06-01T10:20:00.000Z');
    expect([...registry.getCronJobs().keys()]).toEqual(['schedule:a']);
    await jest.advanceTimersByTimeAsync(5 * MIN - 1);
    expect(due).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await jest.advanceTimersByTimeAsync(40 * MIN);
    expect(due).toEqual([
      ['2025-06-01T10:20:00.000Z', '2025-06-01T10:40:00.000Z'],
      ['2025-06-01T10:40:00.000Z', '2025-06-01T11:00:00.000Z'],
      ['2025-06-01T11:00:00.000Z', '2025-06-01T11:20:00.000Z'],
    ]);
  });

  it('waits out a due time further away than one Node timer holds (yearly), firing exactly then', async () => {
    const onDue = jest.fn();
    const first = timers.repeat('schedule:yearly', { cron: '0 0 1 1 *' }, undefined, onDue);
    expect(first?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const wait = (first as Date).getTime() - Date.now();
    expect(wait).toBeGreaterThan(2 ** 31);
    await jest.advanceTimersByTimeAsync(wait - 1);
    expect(onDue).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(onDue.mock.calls[0][0].toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(onDue.mock.calls[0][1].toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('arms nothing for a cron date that never comes', () => {
    expect(timers.repeat('schedule:never', { cron: '0 0 31 2 *' }, undefined, jest.fn())).toBeUndefined();
    expect(registry.getCronJobs().size).toBe(0);
    expect(timers.has('schedule:never')).toBe(false);
  });

  it('runs an interval on its grid from the anchor, as one-shot timeouts', async () => {
    const due: string[] = [];
    const first = timers.repeat('schedule:i', { intervalMs: 10 * MIN }, new Date('2025-06-01T10:00:00Z'), (at) => due.push(at.toISOString()));
    expect(first?.toISOString()).toBe('2025-06-01T10:20:00.000Z');
    expect(registry.getTimeouts()).toEqual(['schedule:i']);
    await jest.advanceTimersByTimeAsync(25 * MIN - 1);
    expect(due).toEqual(['2025-06-01T10:20:00.000Z', '2025-06-01T10:30:00.000Z']);
    expect(registry.getTimeouts()).toEqual(['schedule:i']);
  });

  it('fires a one-shot once, at once when its time has passed, and forgets it', async () => {
    const late = jest.fn();
    const later = jest.fn();
    timers.once('retry:late', new Date('2025-06-01T10:00:00Z'), late);
    timers.once('retry:later', new Date(Date.now() + 2 * MIN), later);
    await jest.advanceTimersByTimeAsync(0);
    expect(late).toHaveBeenCalledTimes(1);
    expect(timers.has('retry:late')).toBe(false);
    await jest.advanceTimersByTimeAsync(2 * MIN);
    expect(later).toHaveBeenCalledTimes(1);
    expect(registry.getTimeouts()).toEqual([]);
  });

  it('refuses a one-shot longer than one timer holds instead of firing it early', () => {
    expect(() => timers.once('retry:far', new Date(Date.now() + 30 * DAY), jest.fn())).toThrow(RangeError);
  });

  it('cancels its own timers and leaves the registry’s others alone', async () => {
    const foreign = setTimeout(() => undefined, MIN);
    registry.addTimeout('someone-else', foreign);
    const onDue = jest.fn();
    timers.repeat('schedule:a', { cron: '* * * * *' }, undefined, onDue);
    timers.once('retry:r', new Date(Date.now() + MIN), onDue);
    timers.cancelAll();
    await jest.advanceTimersByTimeAsync(5 * MIN);
    expect(onDue).not.toHaveBeenCalled();
    expect(registry.getCronJobs().size).toBe(0);
    expect(registry.getTimeouts()).toEqual(['someone-else']);
    registry.deleteTimeout('someone-else');
  });
});
