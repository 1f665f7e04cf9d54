import { TaskSet } from './task-set';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TaskSet', () => {
  it('tracks a promise until it settles and hands it back unchanged', async () => {
    const tasks = new TaskSet();
    const a = deferred<number>();
    const b = deferred<number>();
    expect(tasks.track(a.promise)).toBe(a.promise);
    const tracked = tasks.track(b.promise);
    expect(tasks.size).toBe(2);
    a.resolve(1);
    b.reject(new Error('failed'));
    await expect(tracked).rejects.toThrow('failed');
    await tasks.drain();
    expect(tasks.size).toBe(0);
  });

  it('any() resolves when one task settles, even by rejecting', async () => {
    const tasks = new TaskSet();
    const slow = deferred();
    const failing = deferred();
    tasks.track(slow.promise);
    tasks.track(failing.promise).catch(() => undefined);
    const any = tasks.any();
    failing.reject(new Error('x'));
    await any;
    expect(tasks.size).toBe(1);
    slow.resolve();
    await tasks.drain();
    await expect(new TaskSet().any()).resolves.toBeUndefined();
  });

  it('drain() also waits for tasks tracked while draining', async () => {
    const tasks = new TaskSet();
    const first = deferred();
    const second = deferred();
    let secondDone = false;
    tasks.track(first.promise.then(() => void tasks.track(second.promise.then(() => void (secondDone = true)))));
    const drained = tasks.drain();
    first.resolve();
    await Promise.resolve();
    second.resolve();
    await drained;
    expect(secondDone).toBe(true);
    expect(tasks.snapshot()).toEqual([]);
  });
});
