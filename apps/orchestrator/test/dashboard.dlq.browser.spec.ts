import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from '@userstream/core';
import { generatePage } from '@userstream/tools/mock-api';
import { startSchemaRegistry, type SchemaRegistryStandIn } from '@userstream/tools/schema-registry';
import { startAppProcess } from '@userstream/tools/testing';
import { fromRandomUser, UserCodec, userSchemaV2Json } from '@userstream/user-schema';
import type { PipelineSnapshot } from '../src/pipeline/pipeline.service';
import type { RunPage } from '../src/runs/run.model';
import type { BrowseResult } from '../src/topics/topic-browser.service';
import { kafkaClient, readIds, startFullStack, stackNames, stopFullStack, type FullStack } from './support/full-stack';
import { api, cassandraClient, CASSANDRA_CONTACT_POINTS, CASSANDRA_LOCAL_DC, KAFKA_BROKERS, PASSWORD, USER } from './support/orchestrator.process';

// The DLQ flow end to end in a real browser on the real stack: Confluent-framed
// records reach a stream-processor that has no Schema Registry, and poison
// records beside them, so all are dead-lettered. The fix: the processor is
// restarted with the registry. In the dashboard: browse the DLQ, filter by
// reason, re-drive that reason (rows arrive in Cassandra), re-drive the poison
// ones (they fail again and come back with a re-drive count, once). Each
// re-drive is a `dlq_redrive` run in the history. Screenshot in test-output/.

jest.setTimeout(300_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const OUTPUT_DIR = join(__dirname, '..', '..', '..', 'test-output');
const PROCESSOR_ENTRY = join(__dirname, '..', '..', 'stream-processor', 'dist', 'main.js');
const GOOD = 20;

async function dlqDepth(stack: FullStack): Promise<number> {
  const { body } = await api<PipelineSnapshot>(stack.orchestrator, 'GET', '/api/pipeline');
  return body.kafka.dlq.depth;
}

async function readDlq(page: Page, reason?: string): Promise<void> {
  await page.selectOption('#browse-form select[name="reason"]', reason ?? '');
  await page.click('#browse-read');
  await waitFor(async () => /records of .*\.dlq partition 0/.test((await page.locator('#browse-status').textContent()) ?? '') || undefined, {
    timeoutMs: 30_000,
    intervalMs: 200,
    description: 'a DLQ read',
  });
}

describe('DLQ browse, filter and re-drive in a real browser on the real stack', () => {
  const names = stackNames('dlq');
  const cassandra = cassandraClient();
  const profile = mkdtempSync(join(tmpdir(), 'orchestrator-chromium-'));
  let stack: FullStack | undefined;
  let registry: SchemaRegistryStandIn | undefined;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    registry = await startSchemaRegistry({ port: 0 });
    stack = await startFullStack(names, { orchestratorEnv: { ORCHESTRATOR_ROW_COUNT_CACHE_MS: '0' } });
  });

  afterAll(async () => {
    await browser?.close();
    await stopFullStack(stack, cassandra);
    await cassandra.shutdown();
    await registry?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('re-drives one reason after a fix into Cassandra, and poison records back to the DLQ once', async () => {
    if (!stack || !registry) throw new Error('the stack did not start');
    const app = stack.orchestrator;

    // Confluent-framed users (schema registered in the stand-in registry) and two poison records.
    const registered = (await fetch(`${registry.url}/subjects/${names.topic}-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(userSchemaV2Json) }),
    }).then((r) => r.json())) as { id: number };
    const codec = new UserCodec();
    const users = generatePage({ seed: 'dlq-browser', page: 1, results: GOOD }).results.map((u) => fromRandomUser(u, { ingestedAt: Date.now() }));
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({
      topic: names.topic,
      messages: [
        ...users.map((u) => ({
          key: u.id,
          value: codec.encode(u, { encoding: 'confluent', schemaId: registered.id }),
          headers: { 'userstream-run-id': 'dlq-test' },
        })),
        { key: 'poison-1', value: Buffer.from('not a record') },
        { key: 'poison-2', value: Buffer.from('{"id": 1}') },
      ],
    });
    await producer.disconnect();
    await waitFor(async () => (await dlqDepth(stack as FullStack)) >= GOOD + 2 || undefined, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: `${GOOD + 2} dead letters`,
    });

    // The fix: the stream-processor restarted, now with the Schema Registry.
    const port = stack.processor.port;
    expect(await stack.processor.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    stack.processor = await startAppProcess(PROCESSOR_ENTRY, {
      port,
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS,
        KAFKA_TOPIC: names.topic,
        KAFKA_GROUP_ID: names.groupId,
        CASSANDRA_CONTACT_POINTS,
        CASSANDRA_LOCAL_DC,
        CASSANDRA_KEYSPACE: names.sinkKeyspace,
        PROCESSOR_SESSION_TIMEOUT_MS: '8000',
        SCHEMA_REGISTRY_URL: registry.url,
      },
      timeoutMs: 60_000,
    });

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      locale: 'en-US',
      viewport: { width: 1440, height: 1400 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${app.url}/`);
    await page.fill('input[name="username"]', USER);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${app.url}/`, { timeout: 15_000 }), page.click('button[type="submit"]')]);
    await page.locator(`#browse-form select[name="topic"] option[value="${names.topic}.dlq"]`).waitFor({ state: 'attached', timeout: 15_000 });

    // Browse the DLQ: every dead letter with its reason.
    await page.selectOption('#browse-form select[name="topic"]', `${names.topic}.dlq`);
    await page.fill('#browse-form input[name="at"]', '100');
    await page.fill('#browse-form input[name="limit"]', '100');
    await readDlq(page);
    const reasons = await page.locator('#browse-records tr.record .badge').allTextContents();
    expect(reasons).toHaveLength(GOOD + 2);
    const counts = new Map<string, number>();
    for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const fixable = [...counts.entries()].find(([, n]) => n === GOOD)?.[0] ?? '';
    expect(fixable).not.toBe('');

    // Filter by that reason and re-drive all of it: the users reach Cassandra.
    await readDlq(page, fixable);
    expect(await page.locator('#browse-records tr.record').count()).toBe(GOOD);
    await page.click('#redrive-reason');
    await page
      .locator('#toast')
      .filter({ hasText: `Re-drove ${GOOD} records` })
      .waitFor({ timeout: 30_000 });
    await waitFor(async () => ((await readIds(cassandra, names.sinkKeyspace)).length === GOOD ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: `${GOOD} rows in Cassandra`,
    });
    expect((await readIds(cassandra, names.sinkKeyspace)).sort()).toEqual(users.map((u) => u.id).sort());

    // The poison records, selected by hand: they fail again and come back once, with their count.
    await readDlq(page);
    const poisonRows = page.locator('#browse-records tr.record').filter({ hasText: 'poison-' });
    expect(await poisonRows.count()).toBe(2);
    for (const row of await poisonRows.all()) await row.locator('input[type="checkbox"]').check();
    await page.click('#redrive-selected');
    await page.locator('#toast').filter({ hasText: 'Re-drove 2 records' }).waitFor({ timeout: 30_000 });
    await waitFor(async () => ((await dlqDepth(stack as FullStack)) === GOOD + 4 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the two poison records dead-lettered again',
    });
    const { body: tail } = await api<BrowseResult>(app, 'GET', `/api/topics/${names.topic}.dlq/records?partition=0&last=2`);
    expect(
      tail.records.map((r) => [r.key, r.headers['userstream-redrive-count'], r.headers['userstream-redriven-from']?.startsWith(`${names.topic}.dlq/0/`)]),
    ).toEqual([
      [{ text: 'poison-1' }, '1', true],
      [{ text: 'poison-2' }, '1', true],
    ]);
    await readDlq(page);
    expect(await page.locator('#browse-records [data-redrives="1"]').count()).toBe(2);

    // Audited: two dlq_redrive runs in the history, by the logged-in user, with their offsets.
    const { body: audit } = await api<RunPage>(app, 'GET', '/api/runs?job=dlq_redrive');
    expect(audit.runs.map((r) => [r.state, r.params['by'], r.params['redriven'], (r.params['offsets'] as number[]).length])).toEqual([
      ['success', USER, 2, 2],
      ['success', USER, GOOD, GOOD],
    ]);
    await page.locator('tr.run').filter({ hasText: 'dlq_redrive' }).first().waitFor({ timeout: 15_000 });
    // Nothing loops: no new dead letters appear by themselves.
    expect(await dlqDepth(stack)).toBe(GOOD + 4);

    mkdirSync(OUTPUT_DIR, { recursive: true });
    const shot = join(OUTPUT_DIR, 'dlq-redrive.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
