// Waiting helpers for the tools (stack, benchmarks, tests), so each script does
// not write its own. The apps and libraries use @userstream/core instead; the
// tools must also run before anything is built, so they cannot import it.

import { setTimeout as delay } from 'node:timers/promises';

/** Resolves after `ms` milliseconds (rejects with an AbortError when `signal` aborts). */
export function sleep(ms, signal) {
  return delay(ms, undefined, signal ? { signal } : undefined);
}

const TIMED_OUT = Symbol('timed out');

/** `promise`, or TIMED_OUT after `ms`; the timer is always cleared. */
async function raceTimer(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles as `promise` does, or rejects with `new Error(message)` when it has not settled after `ms`. */
export async function withTimeout(promise, ms, message = `timed out after ${ms} ms`) {
  const result = await raceTimer(promise, ms);
  if (result === TIMED_OUT) throw new Error(message);
  return result;
}

/** `true` when `promise` fulfilled within `ms`, `false` when the time ran out first (it goes on). */
export async function finishesWithin(promise, ms) {
  return (await raceTimer(promise, ms)) !== TIMED_OUT;
}
