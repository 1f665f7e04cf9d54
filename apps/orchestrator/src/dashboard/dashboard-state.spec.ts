import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger, TypedEmitter, waitFor } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { OrchestratorMetrics } from '../app/orchestrator.metrics';
import type { PipelineHistory } from '../history/pipeline-history.service';
import { InMemoryRunStore } from '../../test/support/run-store.memory';
import type { RunRecord } from '../runs/run.model';
import type { SchedulerEvents, SchedulerService } from '../scheduler/scheduler.service';
import { DashboardState, pageWithState, SERVED_STATE_MARKER, type ServedState } from './dashboard-state';
import { PUBLIC_DIR } from './static-files';

const HOSTILE = `"></meta><script>alert(1)</script><img src=x onerror=alert(2)>&amp;'`;

function run(id: string, error?: string): RunRecord {
  return {
    id,
    job: 'j',
    trigger: 'manual',
    state: 'failed',
    tryNumber: 1,
    maxTries: 1,
    params: {},
    queuedAt: '2025-06-01T10:00:00.000Z',
    rowsWritten: { state: 'unknown', value: null },
    tries: [],
    ...(error ? { error } : {}),
  };
}

describe('the state served in the dashboard page', () => {
  it('has its marker in index.html', () => {
    expect(readFileSync(join(PUBLIC_DIR, 'index.html'), 'utf8')).toContain(SERVED_STATE_MARKER);
  });

  it('goes into one attribute, escaped, whatever the runs say, and reads back equal', () => {
    const state = {
      jobs: [],
      runs: [run('r1', HOSTILE)],
      history: { intervalMs: 1000, capacity: 10, latest: null, samples: { t: [] }, seconds: 900 },
    } as unknown as ServedState;
    const page = pageWithState(`<head>${SERVED_STATE_MARKER}</head>`, state);
    const content = /^<head><meta name="served-state" content="([^"<>]*)" \/><\/head>$/.exec(page)?.[1];
    expect(content).toBeDefined();
    const decoded = (content ?? '')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    expect(JSON.parse(decoded)).toEqual(state);
  });

  it('serves the runs as last read without waiting for the store, and reads them again for the next page', async () => {
    const store = new InMemoryRunStore();
    await store.saveRun(run('r1'));
    const scheduler = { listJobs: () => [], events: new TypedEmitter<SchedulerEvents>() } as unknown as SchedulerService;
    const history = { view: () => ({ intervalMs: 1000, capacity: 10, latest: null, samples: { t: [] } }) } as unknown as PipelineHistory;
    const dashboard = new DashboardState(scheduler, store, history, new OrchestratorContext(silentLogger, new OrchestratorMetrics(new Registry())));
    expect(dashboard.current().runs).toBeUndefined(); // nothing read yet: the page's first poll fills the list
    await dashboard.readRuns();
    await store.saveRun(run('r2'));
    let release: () => void = () => undefined;
    const list = store.listRuns.bind(store);
    jest.spyOn(store, 'listRuns').mockImplementation(async (q) => {
      await new Promise<void>((resolve) => (release = resolve));
      return list(q);
    });
    // The store is slow now: the page is still served at once, with the runs read before.
    expect(dashboard.current().runs?.map((r) => r.id)).toEqual(['r1']);
    release();
    await dashboard.readRuns();
    expect(
      dashboard
        .current()
        .runs?.map((r) => r.id)
        .sort(),
    ).toEqual(['r1', 'r2']);
    release();
  });

  it('reads the runs again when a run ends', async () => {
    const store = new InMemoryRunStore();
    const events = new TypedEmitter<SchedulerEvents>();
    const scheduler = { listJobs: () => [], events } as unknown as SchedulerService;
    const history = { view: () => ({ intervalMs: 1000, capacity: 10, latest: null, samples: { t: [] } }) } as unknown as PipelineHistory;
    const dashboard = new DashboardState(scheduler, store, history, new OrchestratorContext(silentLogger, new OrchestratorMetrics(new Registry())));
    dashboard.onApplicationBootstrap();
    await dashboard.readRuns();
    await store.saveRun(run('r1'));
    events.emit('run.finished', { run: run('r1') });
    await waitFor(() => (dashboard['runs'] ?? []).length === 1 || undefined, { timeoutMs: 2000, intervalMs: 5 });
    expect(dashboard.current().runs?.map((r) => r.id)).toEqual(['r1']);
    dashboard.onApplicationShutdown();
  });
});
