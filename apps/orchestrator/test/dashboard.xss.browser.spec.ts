import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import type { RunRecord } from '../src/runs/run.model';
import { FakeIngest } from './support/fake-ingest.server';
import { api, cassandraClient, PASSWORD, startOrchestrator, uniqueName, USER } from './support/orchestrator.process';

jest.setTimeout(120_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Markup that runs script wherever it is parsed as HTML instead of shown as text. */
const HOSTILE = `<img src=x onerror="window.__xss=(window.__xss||0)+1"><script>window.__xss=(window.__xss||0)+1</script><svg onload="window.__xss=1">`;

async function assertInert(page: Page): Promise<void> {
  // Nothing ran, and the markup never became elements.
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.locator('script:not([src])').count()).toBe(0);
  expect(await page.locator('svg[onload]').count()).toBe(0);
}

describe('hostile text in the dashboard, in a real browser', () => {
  const historyKeyspace = uniqueName('orch_xss_hist');
  const cassandra = cassandraClient();
  const ingest = new FakeIngest();
  const profile = mkdtempSync(join(tmpdir(), 'orchestrator-xss-'));
  let app: AppProcess;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    await ingest.start();
    // Ingest's failure reason is text from another app: here, markup.
    ingest.plan = () => ({ outcome: 'fail', error: `ingest says ${HOSTILE}`, durationMs: 50 });
    app = await startOrchestrator({ ORCHESTRATOR_KEYSPACE: historyKeyspace, ORCHESTRATOR_INGEST_URL: ingest.url, ORCHESTRATOR_JOB_RETRIES: '0' });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop('SIGTERM');
    await ingest.close();
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${historyKeyspace}`);
    await cassandra.shutdown();
    rmSync(profile, { recursive: true, force: true });
  });

  it('shows an error message and a refused job parameter carrying <img onerror> as text, and runs nothing', async () => {
    const { body: queued } = await api<RunRecord>(app, 'POST', '/api/jobs/user_data_kafka_stream/trigger', { params: { records: 10 } });
    const failed = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`);
        return body.state === 'failed' ? body : undefined;
      },
      { timeoutMs: 20_000, description: 'the run to fail with the hostile reason' },
    );
    expect(failed.error).toContain(HOSTILE);

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${app.url}/login?next=${encodeURIComponent('/')}`);
    await page.fill('input[name="username"]', USER);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${app.url}/`, { timeout: 10_000 }), page.click('button[type="submit"]')]);

    // The error message: in the runs table and in the run's details, as text.
    const row = page.locator(`tr.run[data-run="${queued.id}"][data-state="failed"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('.error').textContent()).toContain('<img src=x onerror=');
    await row.click();
    const details = page.locator('tr.details');
    await details.waitFor({ timeout: 5_000 });
    expect(await details.textContent()).toContain(HOSTILE);
    // The run's log quotes the reason too, as text.
    expect(await details.locator('[data-field="log"]').textContent()).toContain(HOSTILE);
    await assertInert(page);

    // A job parameter: the API refuses it and the dashboard shows the refusal, which quotes it.
    await page.click('#trigger-params summary');
    await page.fill('#params-form input[name="seed"]', HOSTILE.slice(0, 100));
    await page.locator('tr[data-job="user_data_kafka_stream"] button[data-action="trigger"]').click();
    const toast = page.locator('#toast');
    await toast.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await toast.textContent()).toContain("params: seed must be 1 to 128 letters, digits, '_', '-' or '.'");
    expect(await toast.textContent()).toContain('<img src=x onerror=');
    await assertInert(page);
    expect(dialogs).toEqual([]);
  });
});
