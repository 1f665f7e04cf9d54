#!/usr/bin/env node
// npm test [-- <extra nx args, e.g. --projects=@userstream/kafka>]
//
// Runs every project's `test` target against the real dev stack. Starts
// the stack when it is not ready, and afterwards stops only what it started
// itself (also after a failure or Ctrl-C), unless USERSTREAM_KEEP_STACK=1.
// Exits with the tests' exit code.

import { spawn } from 'node:child_process';
import { ConfigError, REPO_ROOT, StackError, stackConfig, stackDown, stackStatus, stackUp } from '../stack/stack-lib.mjs';

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 };

const abort = new AbortController();
let testProcess = null;
let interruptedBy = null;

function onSignal(name) {
  if (!interruptedBy) console.error(`\nReceived ${name}; stopping the tests and cleaning up...`);
  interruptedBy = name;
  abort.abort();
  // Ctrl-C reaches the whole process group already; SIGTERM may only reach us.
  testProcess?.kill(name);
}

async function main(extraArgs) {
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const started = await ensureStack();
  try {
    if (interruptedBy) return SIGNAL_EXIT_CODES[interruptedBy];
    const code = await runTests(extraArgs);
    return interruptedBy ? SIGNAL_EXIT_CODES[interruptedBy] : code;
  } finally {
    await releaseStack(started);
  }
}

/** Brings the stack up if needed; returns the ids of the servers it started. */
async function ensureStack() {
  const status = await stackStatus();
  if (status.ready) {
    console.log('Using the dev stack that is already running.');
    return [];
  }
  const { started } = await stackUp({ signal: abort.signal });
  return started;
}

async function releaseStack(started) {
  if (started.length === 0) return;
  if (process.env.USERSTREAM_KEEP_STACK === '1') {
    console.log('USERSTREAM_KEEP_STACK=1: leaving the dev stack running (npm run stack:down stops it).');
    return;
  }
  await stackDown({ servers: started });
}

function runTests(extraArgs) {
  const args = ['nx', 'run-many', '-t', 'test', '--parallel=1', '--outputStyle=stream', ...extraArgs];
  const env = { ...process.env, ...stackConfig().env };
  console.log(`Running: npx ${args.join(' ')}`);
  return new Promise((resolve) => {
    testProcess = spawn('npx', args, { cwd: REPO_ROOT, env, stdio: 'inherit' });
    testProcess.on('error', (error) => {
      console.error(`Could not start the tests: ${error.message}`);
      resolve(1);
    });
    testProcess.on('exit', (code, signal) => {
      testProcess = null;
      resolve(code ?? SIGNAL_EXIT_CODES[signal] ?? 1);
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const expected = error instanceof StackError || error instanceof ConfigError;
    console.error(expected ? `Error: ${error.message}` : error);
    process.exit(interruptedBy ? SIGNAL_EXIT_CODES[interruptedBy] : 1);
  },
);
