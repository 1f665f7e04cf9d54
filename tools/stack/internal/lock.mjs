// One stack command at a time per stack dir: two `up`s racing would start
// two JVMs on the same ports. A lock file holds the owner's pid; a lock
// whose owner has died is stale and taken over.

import fs from 'node:fs';
import path from 'node:path';
import { isAlive, sleep } from './processes.mjs';

const WAIT_LIMIT_MS = 10 * 60_000;

// Inside one process, calls queue here first, so the file lock only ever
// sees one holder per process.
let localQueue = Promise.resolve();

export function withStackLock(stackDir, action, log) {
  const run = localQueue.then(async () => {
    const file = path.join(stackDir, 'stack.lock');
    await acquire(file, log);
    try {
      return await action();
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
  localQueue = run.catch(() => {
    /* the caller sees the error; the queue moves on */
  });
  return run;
}

async function acquire(file, log) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = Number(fs.readFileSync(file, 'utf8').trim());
    if (!owner || !isAlive(owner)) {
      fs.rmSync(file, { force: true }); // stale: its owner died mid-command
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Another stack command (pid ${owner}) has held ${file} for too long; giving up.`);
    }
    if (!told) {
      log(`Waiting for another stack command (pid ${owner}) to finish...`);
      told = true;
    }
    await sleep(500);
  }
}
