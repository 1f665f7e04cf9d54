import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import type { AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import type { HistoryView } from '../src/history/pipeline-history.service';
import type { RunPage, RunRecord } from '../src/runs/run.model';
import { waitForChartOfHistory, watchHistory } from './support/dashboard-chart';
import { FakeIngest } from './support/fake-ingest.server';
import { api, cassandraClient, KAFKA_BROKERS, PASSWORD, startOrchestrator, uniqueName, USER } from './support/orchestrator.process';

jest.setTimeout(120_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Git-ignored, at the repository root. */
const OUTPUT_DIR = join(__dirname, '..', '..', '..', 'test-output');
// The main screenshot (orchestrator-dashboard.png) comes from the real stack, in dashboard.full-stack.browser.spec.ts.
const SCREENSHOT = join(OUTPUT_DIR, 'orchestrator-dashboard-fake-ingest.png');
const RUN_LOG_SCREENSHOT = join(OUTPUT_DIR, 'orchestrator-run-log.png');
const FIRST_PAINT_SCREENSHOT = join(OUTPUT_DIR, 'orchestrator-first-paint.png');

describe('dashboard in a real browser (Debian chromium, headless)', () => {
  const topic = uniqueName('orch_browser');
  const historyKeyspace = uniqueName('orch_browser_hist');
  const sinkKeyspace = uniqueName('orch_browser_sink');
  const kafka = new Kafka({ clientId: 'orchestrator-browser-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.ERROR });
  const cassandra = cassandraClient();
  const ingest = new FakeIngest();
  const profile = mkdtempSync(join(tmpdir(), 'orchestrator-chromium-'));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let app: AppProcess;
  let browser: BrowserContext | undefined;
  let traffic: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    // A small pipeline to look at: a topic with records on two partitions and a table with rows.
    const admin = kafka.admin();
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    for (const partition of [0, 1]) {
      await producer.send({ topic, messages: Array.from({ length: 40 + partition * 25 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition })) });
    }
    await admin.disconnect();
    await cassandra.execute(`CREATE KEYSPACE ${sinkKeyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await cassandra.execute(`CREATE TABLE ${sinkKeyspace}.users_created (id uuid PRIMARY KEY, first_name text)`);
    for (let i = 0; i < 12; i++)
      await cassandra.execute(`INSERT INTO ${sinkKeyspace}.users_created (id, first_name) VALUES (uuid(), ?)`, [`user${i}`], { prepare: true });

    await ingest.start();
    ingest.topic = topic;
    // Long enough for the dashboard to show the run while it runs.
    ingest.plan = () => ({ outcome: 'succeed', durationMs: 1500 });
    app = await startOrchestrator({
      ORCHESTRATOR_KEYSPACE: historyKeyspace,
      ORCHESTRATOR_INGEST_URL: ingest.url,
      KAFKA_TOPIC: topic,
      CASSANDRA_KEYSPACE: sinkKeyspace,
      CASSANDRA_USERS_TABLE: 'users_created',
      // A sample a second, so the records/s chart has several points within the test.
      ORCHESTRATOR_HISTORY_INTERVAL_MS: '1000',
    });
  });

  /** The dashboard's page, in a browser launched on first use. */
  async function dashboardPage(): Promise<Page> {
    browser ??= await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 1200 },
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
    return browser.pages()[0] ?? (await browser.newPage());
  }

  /** Opens the dashboard and logs in. */
  async function logIn(page: Page): Promise<void> {
    await page.goto(`${app.url}/`);
    await page.waitForURL(/\/login\?next=%2F$/, { timeout: 10_000 });
    await page.fill('input[name="username"]', USER);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${app.url}/`, { timeout: 10_000 }), page.click('button[type="submit"]')]);
  }

  afterAll(async () => {
    clearInterval(traffic);
    await producer.disconnect();
    await browser?.close();
    await app?.stop('SIGTERM');
    await ingest.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    for (const ks of [historyKeyspace, sinkKeyspace]) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    await cassandra.shutdown();
    rmSync(profile, { recursive: true, force: true });
  });

  it('logs in, sees the runs, triggers a run, sees it succeed, and saves a screenshot', async () => {
    // One run already in the history.
    const { body: earlier } = await api<RunRecord>(app, 'POST', '/api/jobs/user_data_kafka_stream/trigger', { params: { records: 120 } });
    await waitFor(async () => (await api<RunRecord>(app, 'GET', `/api/runs/${earlier.id}`)).body.state === 'success' || undefined, {
      timeoutMs: 15_000,
      description: 'the first run to succeed',
    });

    const page = await dashboardPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const newestHistory = watchHistory(page);

    // Some traffic on the topic while the dashboard is open, so the records/s chart has something to draw.
    traffic = setInterval(() => {
      const count = 20 + Math.floor(Math.random() * 30);
      void producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `t${i}`, value: `t${i}` })) }).catch(() => undefined);
    }, 500);

    await logIn(page);

    // The runs: the earlier one, with its counts.
    const earlierRow = page.locator(`tr.run[data-run="${earlier.id}"]`);
    await earlierRow.waitFor({ timeout: 10_000 });
    expect(await earlierRow.getAttribute('data-state')).toBe('success');
    expect(await earlierRow.locator('[data-field="acknowledged"]').textContent()).toBe('120');
    // The job, with its next run and buttons.
    const jobRow = page.locator('tr[data-job="user_data_kafka_stream"]');
    await expect(jobRow.textContent()).resolves.toContain('cron 0 0 1 1 * (UTC)');

    // Trigger with parameters from the form.
    await page.click('#trigger-params summary');
    await page.fill('#params-form input[name="records"]', '250');
    await jobRow.locator('button[data-action="trigger"]').click();
    const newRow = page.locator(`tr.run:not([data-run="${earlier.id}"])`).first();
    await newRow.waitFor({ timeout: 10_000 });
    const newId = await newRow.getAttribute('data-run');
    expect(newId).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator(`tr.run[data-run="${newId}"][data-state="success"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator(`tr.run[data-run="${newId}"] [data-field="acknowledged"]`).textContent()).toBe('250');
    expect(ingest.calls('POST').at(-1)?.body).toEqual({ durationSeconds: 60, records: 250 });

    // Pipeline health: partitions of the topic, the row count and a chart line.
    await page.locator('#partitions tr').nth(1).waitFor({ timeout: 10_000 });
    await expect(page.locator('#rows').textContent()).resolves.toMatch(/^12exact COUNT\(\*\)/);
    // The records/s chart is drawn from the orchestrator's history (sampled every second here): a point
    // for each of its 3+ known samples, at its value on round axes; the traffic makes some of them positive.
    const history = await waitForChartOfHistory(page, newestHistory, 3, 30_000);
    expect(history.intervalMs).toBe(1000);
    expect(history.samples.inPerSec.some((v) => v !== null && v > 0)).toBe(true);
    expect(await page.locator('#history-note').textContent()).toMatch(/ samples since .*, one every 1 s$/);
    await page.click(`tr.run[data-run="${newId}"]`); // open its details for the picture
    await page.locator('tr.details').waitFor({ timeout: 5_000 });

    clearInterval(traffic);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });

  it("shows a run's log under the run: tries, the retry and why, a wait for Kafka, pages fetched (kept in the history)", async () => {
    // Try 1 fails; try 2 meets a wait for Kafka and a retried API error, then succeeds.
    let tries = 0;
    ingest.plan = () =>
      tries++ === 0
        ? { outcome: 'fail', error: 'randomuser API kept failing: HTTP 503', durationMs: 200 }
        : {
            outcome: 'succeed',
            durationMs: 1200,
            kafkaWait: { afterMs: 200, forMs: 500, reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' },
            problems: [{ code: 'API_UNAVAILABLE', message: 'HTTP 503 from randomuser.me', count: 2 }],
          };
    const { body: queued } = await api<RunRecord>(app, 'POST', '/api/jobs/user_data_kafka_stream/trigger', { params: { records: 80 } });
    const run = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`);
        return body.state === 'success' ? body : undefined;
      },
      { timeoutMs: 20_000, description: 'the run to succeed on its second try' },
    );
    const messages = (run.log ?? []).map((e) => `${e.tryNumber ?? '-'} ${e.level} ${e.message}`);
    expect(messages[0]).toBe('- info queued by a manual trigger');
    expect(messages).toContain('1 info try 1 of 3 started');
    expect(messages.some((m) => /^1 warn try 1 failed: ingest run \S+ failed: randomuser API kept failing: HTTP 503; try 2 of 3 at /.test(m))).toBe(true);
    expect(messages).toContain('2 info try 2 of 3 started');
    expect(
      messages.some((m) =>
        /^2 info waited \d+\.\d s for Kafka \(since \S+: Connection error: connect ECONNREFUSED 127\.0\.0\.1:9092\); it answers again$/.test(m),
      ),
    ).toBe(true);
    expect(messages).toContain('2 warn ingest retried: API_UNAVAILABLE: HTTP 503 from randomuser.me (x2)');
    expect(messages).toContain('2 info 2 pages fetched: 81 records, 80 valid, 1 invalid, 80 acknowledged by Kafka');
    expect(messages.at(-1)).toBe('- info run succeeded: 80 records acknowledged by Kafka');
    // Kept with the run in the Cassandra history, as the API served it.
    const row = (await cassandra.execute(`SELECT log FROM ${historyKeyspace}.runs WHERE id = ?`, [run.id], { prepare: true })).first();
    expect(JSON.parse(row['log'] as string)).toEqual(run.log);

    const page = await dashboardPage();
    if (!page.url().startsWith(`${app.url}/`) || page.url().includes('/login')) await logIn(page);
    const runRow = page.locator(`tr.run[data-run="${run.id}"][data-state="success"]`);
    await runRow.waitFor({ timeout: 10_000 });
    await runRow.click();
    const log = page.locator(`tr.run[data-run="${run.id}"] + tr.details [data-field="log"]`);
    await log.waitFor({ timeout: 5_000 });
    const lines = await log.locator('li').allTextContents();
    expect(lines).toHaveLength(run.log?.length ?? -1);
    expect(lines.some((l) => l.includes('try 1 · try 1 failed: ingest run') && l.includes('randomuser API kept failing: HTTP 503'))).toBe(true);
    expect(lines.some((l) => l.includes('try 2 · waited ') && l.includes('for Kafka'))).toBe(true);
    expect(await log.locator('li[data-level="warn"]').count()).toBeGreaterThanOrEqual(2);

    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.locator(`tr.run[data-run="${run.id}"] + tr.details`).screenshot({ path: RUN_LOG_SCREENSHOT });
    expect(statSync(RUN_LOG_SCREENSHOT).size).toBeGreaterThan(5_000);
  });

  it('paints jobs, runs, pipeline health and the chart from the page itself, with every API answer held back', async () => {
    // Something to show: a finished run, and a history with a snapshot and a few samples.
    if ((await api<RunPage>(app, 'GET', '/api/runs?limit=1')).body.runs.length === 0) {
      const { body: queued } = await api<RunRecord>(app, 'POST', '/api/jobs/user_data_kafka_stream/trigger', { params: { records: 50 } });
      await waitFor(async () => (await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`)).body.state === 'success' || undefined, { timeoutMs: 15_000 });
    }
    await waitFor(
      async () => {
        const { body } = await api<HistoryView>(app, 'GET', '/api/pipeline/history?seconds=900');
        return (body.latest !== null && body.samples.t.length >= 3) || undefined;
      },
      { timeoutMs: 15_000, description: 'a history of three samples' },
    );

    const page = await dashboardPage();
    if (!page.url().startsWith(`${app.url}/`) || page.url().includes('/login')) await logIn(page);
    // No API call answers from here on: whatever the page shows came with the page.
    const held: Route[] = [];
    const answered: string[] = [];
    await page.route(/\/api\//, (route) => void held.push(route));
    page.on('response', (res) => {
      if (res.url().includes('/api/')) answered.push(res.url());
    });
    await page.goto(`${app.url}/`, { waitUntil: 'domcontentloaded' });
    const painted = async () => ({
      jobs: await page.locator('#jobs tr[data-job]').count(),
      runs: await page.locator('#runs tr.run').count(),
      apps: await page.locator('#apps .card').count(),
      partitions: await page.locator('#partitions tr').count(),
      rows: (await page.locator('#rows').textContent()) ?? '',
      chartLines: await page.locator('#chart polyline.series').count(),
      historyNote: (await page.locator('#history-note').textContent()) ?? '',
    });
    const first = await painted();
    expect(first.jobs).toBe(1);
    expect(first.runs).toBeGreaterThan(0);
    expect(first.apps).toBe(4);
    expect(first.partitions).toBe(2);
    expect(first.rows).toMatch(/^12exact COUNT\(\*\)/);
    expect(first.chartLines).toBeGreaterThan(0);
    expect(first.historyNote).toMatch(/ samples since /);
    // The page's polls are out, and held: still nothing answered, and the panels stay full.
    await waitFor(() => held.length >= 3 || undefined, { timeoutMs: 10_000, description: 'the first poll to be sent' });
    expect(answered).toEqual([]);
    expect(await painted()).toEqual(first);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: FIRST_PAINT_SCREENSHOT, fullPage: true });
    expect(statSync(FIRST_PAINT_SCREENSHOT).size).toBeGreaterThan(10_000);

    await page.unroute(/\/api\//);
    for (const route of held) await route.continue().catch(() => undefined);
  });
});
