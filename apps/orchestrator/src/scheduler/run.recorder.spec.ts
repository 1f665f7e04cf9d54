import { Registry } from 'prom-client';
import { silentLogger, UserstreamError } from '@userstream/core';
import { OrchestratorMetrics } from '../app/orchestrator.metrics';
import { WebhookNotifier } from '../notify/webhook.notifier';
import { InMemoryRunStore } from '../../test/support/run-store.memory';
import type { RunRecord } from '../runs/run.model';
import { RunRecorder } from './run.recorder';

function newRun(): RunRecord {
  return {
    id: 'run-1',
    job: 'j',
    trigger: 'manual',
    state: 'running',
    tryNumber: 1,
    maxTries: 3,
    params: {},
    queuedAt: '2025-06-01T10:00:00.000Z',
    startedAt: '2025-06-01T10:00:00.000Z',
    rowsWritten: { state: 'unknown', value: null },
    tries: [],
  };
}

describe('RunRecorder', () => {
  let store: InMemoryRunStore;
  let notifier: WebhookNotifier;
  let recorder: RunRecorder;

  beforeEach(() => {
    store = new InMemoryRunStore();
    notifier = new WebhookNotifier({ maxAttempts: 1, initialDelayMs: 1, timeoutMs: 100 });
    recorder = new RunRecorder(store, new OrchestratorMetrics(new Registry()), notifier, silentLogger);
  });

  it('lands the saves of one run in the order they were made, even when one is slow', async () => {
    const run = newRun();
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolveStarted) => {
      const saveRun = store.saveRun.bind(store);
      let first = true;
      jest.spyOn(store, 'saveRun').mockImplementation(async (r) => {
        if (first) {
          first = false;
          resolveStarted();
          await new Promise<void>((resolve) => (release = resolve));
        }
        return saveRun(r);
      });
    });
    const saves = [recorder.save(run)];
    run.state = 'up_for_retry';
    saves.push(recorder.save(run));
    await started;
    expect(store.history).toEqual([]); // the second save waits for the first
    release();
    await Promise.all(saves);
    expect(store.history.map((r) => r.state)).toEqual(['running', 'up_for_retry']);
  });

  it('retries a save that failed for a passing reason', async () => {
    const spy = jest.spyOn(store, 'saveRun').mockRejectedValueOnce(new UserstreamError('Cassandra timeout', { retriable: true }));
    await recorder.save(newRun());
    expect(spy).toHaveBeenCalledTimes(2);
    expect(await store.getRun('run-1')).toBeDefined();
  });

  it('keeps notes on the run, keys scoped by try, saved with it', async () => {
    const run = newRun();
    recorder.note(run, { level: 'info', message: '1 page', key: 'pages' }, 1);
    recorder.note(run, { level: 'info', message: '2 pages', key: 'pages' }, 1);
    recorder.note(run, { level: 'info', message: '1 page', key: 'pages' }, 2);
    recorder.note(run, { level: 'warn', message: 'restarted' });
    await recorder.save(run);
    const saved = await store.getRun('run-1');
    expect(saved?.log?.map((e) => [e.tryNumber, e.key, e.message])).toEqual([
      [1, '1:pages', '2 pages'],
      [2, '2:pages', '1 page'],
      [undefined, undefined, 'restarted'],
    ]);
  });

  it('ends a run (success: rows written pending on offsets), then announces it once', async () => {
    const run = newRun();
    run.counts = { pagesFetched: 1, fetched: 10, valid: 10, invalid: 0, produced: 10, acknowledged: 10 };
    run.offsets = { topic: 't', partitions: [{ partition: 0, first: 0, last: 9 }] };
    run.error = 'from an earlier try';
    const finished = jest.fn();
    recorder.events.on('run.finished', finished);
    const notified = jest.spyOn(notifier, 'notifyRunFailed');
    await recorder.end(run, 'success');
    recorder.announce(run);
    const saved = await store.getRun('run-1');
    expect(saved).toMatchObject({ state: 'success', rowsWritten: { state: 'pending', value: null } });
    expect(saved?.error).toBeUndefined();
    expect(saved?.log?.at(-1)?.message).toBe('run succeeded: 10 records acknowledged by Kafka');
    expect(finished).toHaveBeenCalledTimes(1);
    expect(notified).not.toHaveBeenCalled();
  });

  it('ends a failed run with its reason and sends the failure webhook', async () => {
    const run = newRun();
    run.error = 'ingest unreachable';
    const notified = jest.spyOn(notifier, 'notifyRunFailed').mockImplementation(() => undefined);
    await recorder.end(run, 'failed');
    recorder.announce(run);
    expect((await store.getRun('run-1'))?.log?.at(-1)).toMatchObject({ level: 'error', message: 'run failed: ingest unreachable' });
    expect(notified).toHaveBeenCalledWith(expect.objectContaining({ id: 'run-1', state: 'failed' }));
  });
});
