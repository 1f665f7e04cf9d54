import { spawn, type ChildProcess } from 'node:child_process';
import { generatePage, startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { waitFor } from '@userstream/core';
import { cliEntry, deleteTopics, readTopic, testEnv, topicSize, uniqueTopic } from './support/integration';

jest.setTimeout(90_000);

interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [cliEntry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('ingest one-shot command line', () => {
  let api: MockApi;
  const topics: string[] = [];

  function topic(label: string): string {
    const name = uniqueTopic(label);
    topics.push(name);
    return name;
  }

  beforeEach(async () => {
    api = await startMockApi({ port: 0 });
  });

  afterEach(async () => {
    await api.close();
  });

  afterAll(async () => {
    await deleteTopics(topics);
  });

  it('runs 2000 users into Kafka, prints the summary with the replay cursor and exits 0', async () => {
    const name = topic('cli');
    const cli = runCli(['--records', '2000', '--seed', 'cli-test', '--page-size', '1000'], testEnv(name, api.url));
    expect(await cli.exited).toBe(0);
    const out = cli.stdout();
    expect(out).toMatch(/^ingest run [0-9a-f-]{36} succeeded in \d+\.\d s$/m);
    expect(out).toContain('users fetched   2000 (valid 2000, invalid 0, discarded 0)');
    expect(out).toContain('acknowledged    2000');
    expect(out).toMatch(/throughput {6}\d+ records\/s acknowledged/);
    expect(out).toContain('replay          --seed cli-test --start-page 1 --page-size 1000 --records 2000');
    expect(out).toContain('continue        --seed cli-test --start-page 3 --page-size 1000');

    const messages = await readTopic(name, 2000);
    expect(await topicSize(name)).toBe(2000);
    const expected = [1, 2].flatMap((page) => generatePage({ seed: 'cli-test', page, results: 1000 }).results.map((u) => (u.login as { uuid: string }).uuid));
    expect(messages.map((m) => m.key).sort()).toEqual(expected.sort());
  });

  it('exits 1 with the reason when the API keeps failing', async () => {
    api.setFaults({ rate5xx: 1, statuses5xx: [503] });
    const cli = runCli(['--records', '100'], testEnv(topic('clifail'), api.url, { RANDOMUSER_MAX_ATTEMPTS: '2' }));
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('ingest once: run failed: randomuser API, page 1: randomuser API answered HTTP 503 (gave up after 2 attempts)');
    expect(cli.stdout()).toMatch(/ failed in /);
    expect(cli.stdout()).toContain('acknowledged    0');
  });

  it('exits 2 naming the bad option', async () => {
    const notNumber = runCli(['--records', 'many'], testEnv(topic('cliusage'), api.url));
    expect(await notNumber.exited).toBe(2);
    expect(notNumber.stderr()).toContain('ingest once: --records must be a number (got "many")');
    const zero = runCli(['--duration', '0'], testEnv(topic('cliusage'), api.url));
    expect(await zero.exited).toBe(2);
    expect(zero.stderr()).toContain('ingest once: --duration must be a number greater than 0 and at most 86400 (got 0)');
  });

  it('cancels cleanly on Ctrl-C (SIGINT): flushes, prints the summary, exits 130', async () => {
    const name = topic('clicancel');
    const cli = runCli(['--duration', '3600', '--rate', '2000', '--page-size', '1000'], testEnv(name, api.url));
    await waitFor(async () => (await topicSize(name)) >= 500 || undefined, { timeoutMs: 30_000, description: 'records on the topic' });
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    const out = cli.stdout();
    expect(out).toMatch(/ cancelled in /);
    const acknowledged = Number(/acknowledged {4}(\d+)/.exec(out)?.[1]);
    expect(acknowledged).toBeGreaterThanOrEqual(500);
    expect(await topicSize(name)).toBe(acknowledged);
  });
});
