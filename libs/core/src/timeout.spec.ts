import { AbortError, TimeoutError } from './errors';
import { finishesWithin, raceAbort, withTimeout } from './timeout';

const never = () => new Promise<never>(() => undefined);

describe('withTimeout', () => {
  it('settles as the promise does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 10_000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 10_000)).rejects.toThrow('boom');
  });

  it('rejects with TimeoutError naming the wait when the promise is late', async () => {
    const error = await withTimeout(never(), 5, { message: 'consumer did not stop within 5 ms' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ message: 'consumer did not stop within 5 ms', retriable: true, details: { timeoutMs: 5 } });
    await expect(withTimeout(never(), 1)).rejects.toThrow('timed out after 1 ms');
  });
});

describe('finishesWithin', () => {
  it('says whether the promise fulfilled in time, and passes a rejection through', async () => {
    await expect(finishesWithin(Promise.resolve('x'), 10_000)).resolves.toBe(true);
    await expect(finishesWithin(never(), 1)).resolves.toBe(false);
    await expect(finishesWithin(Promise.reject(new Error('bad')), 10_000)).rejects.toThrow('bad');
  });
});

describe('raceAbort', () => {
  it('settles as the promise does while the signal stays quiet', async () => {
    await expect(raceAbort(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
  });

  it('rejects with AbortError when the signal aborts first, or already has', async () => {
    const controller = new AbortController();
    const raced = raceAbort(never(), controller.signal);
    controller.abort(new Error('stop'));
    const error = await raced.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error('stop'));
    await expect(raceAbort(Promise.resolve(1), controller.signal)).rejects.toBeInstanceOf(AbortError);
  });

  it('removes its abort listener once settled', async () => {
    const controller = new AbortController();
    const removed = jest.spyOn(controller.signal, 'removeEventListener');
    await raceAbort(Promise.resolve(1), controller.signal);
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
