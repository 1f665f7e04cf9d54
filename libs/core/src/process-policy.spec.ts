import type { Logger } from './logger';
import { installCrashPolicy } from './process-policy';
import { sleep, waitFor } from './sleep';

describe('installCrashPolicy', () => {
  it('logs an unhandled rejection once, closes what is open and exits 1', async () => {
    const fatal: Array<Record<string, unknown>> = [];
    const logger = { fatal: (obj: object) => fatal.push(obj as Record<string, unknown>), error: () => undefined } as unknown as Logger;
    const exits: number[] = [];
    let closed = 0;
    const remove = installCrashPolicy({ logger, exit: (code) => exits.push(code), close: async () => void (closed += 1) });
    try {
      // What Node does for a rejection nobody handles (emitted directly: the test runner keeps real ones to itself).
      process.emit('unhandledRejection', new Error('nobody caught me'), Promise.resolve());
      await waitFor(() => exits.length > 0 || undefined, { timeoutMs: 5000, description: 'the exit' });
      process.emit('uncaughtException', new Error('second one'));
      await sleep(10);
    } finally {
      remove();
    }
    expect(exits).toEqual([1]);
    expect(closed).toBe(1);
    expect(fatal[0]).toMatchObject({ kind: 'unhandledRejection', err: 'nobody caught me' });
    expect(fatal[1]).toMatchObject({ kind: 'uncaughtException', err: 'second one' });
  });
});

describe('sleep past what one timer holds', () => {
  afterEach(() => jest.useRealTimers());

  it('waits the whole delay instead of firing at once', async () => {
    jest.useFakeTimers();
    let done = false;
    const waiting = sleep(2 ** 31 + 5000).then(() => void (done = true));
    await jest.advanceTimersByTimeAsync(1000);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(2 ** 31 - 1000);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(5000);
    await waiting;
    expect(done).toBe(true);
  });
});
