import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from '@userstream/core';
import type { RunRecord } from '../src/runs/run.model';
import { waitForChartOfHistory, watchHistory } from './support/dashboard-chart';
import { readIds, startFullStack, stackNames, stopFullStack, waitForRun, type FullStack } from './support/full-stack';
import { api, cassandraClient, PASSWORD, USER } from './support/orchestrator.process';

jest.setTimeout(240_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Git-ignored, at the repository root. */
const OUTPUT_DIR = join(__dirname, '..', '..', '..', 'test-output');
const SCREENSHOT = join(OUTPUT_DIR, 'orchestrator-dashboard.png');
const JOB = 'user_data_kafka_stream';

/** The text of a run row's cells, by column header. */
async function runCells(page: Page, id: string): Promise<Record<string, string>> {
  const headers = (await page.locator('#runs-table thead th').allTextContents()).map((t) => t.trim());
  const cells = (await page.locator(`tr.run[data-run="${id}"] td`).allTextContents()).map((t) => t.trim());
  return Object.fromEntries(headers.map((header, i) => [header, cells[i] ?? '']));
}

describe('dashboard in a real browser on the real stack (Debian chromium, headless)', () => {
  const names = stackNames('browser');
  const cassandra = cassandraClient();
  const profile = mkdtempSync(join(tmpdir(), 'orchestrator-chromium-'));
  let stack: FullStack | undefined;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    // A history sample a second, so the 8 s run spans several points of the records/s chart.
    stack = await startFullStack(names, { orchestratorEnv: { ORCHESTRATOR_ROW_COUNT_CACHE_MS: '0', ORCHESTRATOR_HISTORY_INTERVAL_MS: '1000' } });
  });

  afterAll(async () => {
    await browser?.close();
    await stopFullStack(stack, cassandra);
    await cassandra.shutdown();
    rmSync(profile, { recursive: true, force: true });
  });

  it('logs in, sees the runs, triggers a run, sees it succeed with its counts and the pipeline healthy, and saves a screenshot', async () => {
    if (!stack) throw new Error('the stack did not start');
    const app = stack.orchestrator;
    // One run already in the history, through the API.
    const { body: earlier } = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: 1000, seed: 'browser-earlier' } });
    await waitForRun(() => app, earlier.id, ['success'], 60_000);

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      locale: 'en-US',
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
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const newestHistory = watchHistory(page);

    await page.goto(`${app.url}/`);
    await page.waitForURL(/\/login\?next=%2F$/, { timeout: 15_000 });
    await page.fill('input[name="username"]', USER);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${app.url}/`, { timeout: 15_000 }), page.click('button[type="submit"]')]);

    // The runs list shows the earlier run with its counts.
    await page.locator(`tr.run[data-run="${earlier.id}"][data-state="success"]`).waitFor({ timeout: 15_000 });
    expect(await runCells(page, earlier.id)).toMatchObject({ Job: JOB, Try: '1 / 3', Acked: '1,000', Produced: '1,000', 'Valid / invalid': '1,000 / 0' });

    // Trigger from the form: 2000 records, slowed to 250/s so the run is seen running and the chart has a slope.
    const jobRow = page.locator(`tr[data-job="${JOB}"]`);
    await jobRow.waitFor({ timeout: 10_000 });
    await page.click('#trigger-params summary');
    await page.fill('#params-form input[name="records"]', '2000');
    await page.fill('#params-form input[name="rate"]', '250');
    await jobRow.locator('button[data-action="trigger"]:not([disabled])').click();
    const newRow = page.locator(`tr.run:not([data-run="${earlier.id}"])`).first();
    await newRow.waitFor({ timeout: 15_000 });
    const id = (await newRow.getAttribute('data-run')) ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator(`tr.run[data-run="${id}"][data-state="running"]`).waitFor({ timeout: 15_000 });
    // Records flow in while it runs: the "in" rate shows a positive number.
    await waitFor(async () => /^[1-9][\d,.]*\/s$/.test((await page.locator('#rate-in').textContent()) ?? '') || undefined, {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: 'a positive records/s in on the dashboard',
    });

    await page.locator(`tr.run[data-run="${id}"][data-state="success"]`).waitFor({ timeout: 60_000 });
    const { body: run } = await api<RunRecord>(app, 'GET', `/api/runs/${id}`);
    expect(run).toMatchObject({ state: 'success', params: { records: 2000, rate: 250 }, counts: { acknowledged: 2000 } });
    expect(await runCells(page, id)).toMatchObject({
      Job: JOB,
      State: 'success',
      Try: '1 / 3',
      // 2,000 records in pages of INGEST_PAGE_SIZE (1,000).
      Pages: '2',
      Fetched: '2,000',
      'Valid / invalid': '2,000 / 0',
      Produced: '2,000',
      Acked: '2,000',
    });
    // Offsets as the API reports them, and rows written once the processor committed past them.
    const offsetsText = (run.offsets?.partitions ?? []).map((p) => `p${p.partition} ${p.first}–${p.last}`).join(', ');
    expect(offsetsText).not.toBe('');
    expect((await runCells(page, id))['Offsets']).toBe(offsetsText);
    await waitFor(async () => (await runCells(page, id))['Rows written'] === '2,000' || undefined, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'rows written 2,000 in the run row',
    });

    // Pipeline health: a green stream-processor that wrote every record, no lag, the table's exact row count.
    const processorCard = page.locator('.card[data-app="stream-processor"]');
    // The processor's dead-letter counter has no sample until its first dead letter ("–").
    await waitFor(async () => /^written 3,000 · dead-lettered (0|–)$/.test((await processorCard.locator('.detail').textContent()) ?? '') || undefined, {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'the stream-processor card to show 3,000 written',
    });
    expect(await processorCard.locator('.dot').getAttribute('class')).toBe('dot ok');
    for (const app of ['orchestrator', 'kafka', 'ingest']) expect(await page.locator(`.card[data-app="${app}"] .dot`).getAttribute('class')).toBe('dot ok');
    await waitFor(async () => (await page.locator('#lag-total').textContent()) === '0' || undefined, {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'total lag 0',
    });
    await waitFor(async () => ((await page.locator('#rows').textContent()) ?? '').startsWith('3,000exact COUNT(*)') || undefined, {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'the Cassandra row count 3,000',
    });
    expect(await readIds(cassandra, names.sinkKeyspace)).toHaveLength(3000);
    const partitionRows = await page.locator('#partitions tr').allTextContents();
    expect(partitionRows).toHaveLength(4);
    expect(await page.locator('#group').textContent()).toBe(names.groupId);
    expect(await page.locator('#dlq').textContent()).toBe(`0 records in ${names.topic}.dlq`);
    // The records/s chart draws the history's samples of the run (one a second here) on round axes;
    // both runs' records went in and out, so both lines have positive samples.
    const history = await waitForChartOfHistory(page, newestHistory, 3, 30_000);
    expect(history.intervalMs).toBe(1000);
    expect(history.samples.inPerSec.filter((v) => v !== null && v > 0).length).toBeGreaterThanOrEqual(2);
    expect(history.samples.outPerSec.some((v) => v !== null && v > 0)).toBe(true);

    await page.click(`tr.run[data-run="${id}"]`); // its details, for the picture
    await page.locator('tr.details').waitFor({ timeout: 5_000 });
    await expect(page.locator('tr.details').textContent()).resolves.toContain(`${names.topic}: ${offsetsText}`);

    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
