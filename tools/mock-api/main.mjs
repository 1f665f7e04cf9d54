#!/usr/bin/env node
// `npm run mock-api`: serves the randomuser.me mock on MOCK_API_HOST:MOCK_API_PORT
// (default 127.0.0.1:3100) with faults from MOCK_FAULT_* (see README.md).
// Exits 0 on SIGINT/SIGTERM after closing its connections.

import { faultsFromEnv, startMockApi } from './mock-api.mjs';

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  console.error(`mock-api: ${message}`);
  process.exit(2);
}

const rawPort = process.env.MOCK_API_PORT ?? '3100';
const port = Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`MOCK_API_PORT must be a port number (0-65535), got ${JSON.stringify(rawPort)}`);
const host = process.env.MOCK_API_HOST || '127.0.0.1';

/** @type {import('./mock-api.mjs').NormalizedMockFaults} */
let faults;
try {
  faults = faultsFromEnv(process.env);
} catch (error) {
  fail(error.message);
}

/** @type {import('./mock-api.mjs').MockApi} */
let api;
try {
  api = await startMockApi({ port, host, faults });
} catch (error) {
  fail(`cannot listen on ${host}:${port}: ${error.message}`);
}

const active = Object.entries(faults).filter(([k, v]) => (k.startsWith('rate') || k === 'badRecords') && /** @type {number} */ (v) > 0);
console.log(`randomuser mock API listening on ${api.url}`);
if (active.length > 0 || faults.sequence.length > 0) {
  console.log(
    `faults: ${active.map(([k, v]) => `${k}=${v}`).join(' ')}${faults.faultSeed ? ` faultSeed=${faults.faultSeed}` : ''}${faults.sequence.length ? ` sequence=${faults.sequence.length}` : ''}`,
  );
}

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  const s = api.stats();
  console.log(`${signal}: stopping (served ${s.requests} requests, ${s.usersServed} users)`);
  const watchdog = setTimeout(() => {
    console.error('mock-api: close took more than 5 s, exiting anyway');
    process.exit(1);
  }, 5000);
  watchdog.unref();
  await api.close();
  process.exitCode = 0;
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
