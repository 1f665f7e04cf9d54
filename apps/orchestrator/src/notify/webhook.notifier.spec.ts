import { WebhookReceiver } from '../../test/support/webhook-receiver';
import type { RunRecord } from '../runs/run.model';
import { WebhookNotifier } from './webhook.notifier';

const failedRun: RunRecord = {
  id: '5d8f3b30-4f1a-11f0-8000-000000000001',
  job: 'user_data_kafka_stream',
  trigger: 'scheduled',
  state: 'failed',
  tryNumber: 3,
  maxTries: 3,
  params: { durationSeconds: 60 },
  queuedAt: '2025-06-01T11:00:00.000Z',
  startedAt: '2025-06-01T11:00:00.010Z',
  endedAt: '2025-06-01T11:08:00.000Z',
  ingestRunId: 'fake-3',
  counts: { pagesFetched: 0, fetched: 0, valid: 0, invalid: 0, produced: 0, acknowledged: 0 },
  error: 'ingest run fake-3 failed: randomuser API kept failing',
  rowsWritten: { state: 'unknown', value: null },
  tries: [],
};

describe('WebhookNotifier', () => {
  const receiver = new WebhookReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.calls.length = 0;
    receiver.statuses = [];
  });

  const notifier = (outcomes: string[], maxAttempts = 4) =>
    new WebhookNotifier({ url: receiver.url, maxAttempts, initialDelayMs: 5, timeoutMs: 1000, onOutcome: (o) => outcomes.push(o) });

  it('POSTs the failed run as JSON, retrying 5xx answers until one succeeds', async () => {
    receiver.statuses = [503, 500];
    const outcomes: string[] = [];
    const n = notifier(outcomes);
    n.notifyRunFailed(failedRun);
    await n.drain(5000);
    expect(receiver.calls.map((c) => c.status)).toEqual([503, 500, 200]);
    expect(receiver.calls.map((c) => c.headers['x-userstream-attempt'])).toEqual(['1', '2', '3']);
    expect(receiver.calls[2].headers['content-type']).toBe('application/json');
    expect(receiver.calls[2].body).toEqual({
      event: 'run.failed',
      job: 'user_data_kafka_stream',
      runId: failedRun.id,
      trigger: 'scheduled',
      tries: 3,
      maxTries: 3,
      error: 'ingest run fake-3 failed: randomuser API kept failing',
      params: { durationSeconds: 60 },
      queuedAt: '2025-06-01T11:00:00.000Z',
      startedAt: '2025-06-01T11:00:00.010Z',
      endedAt: '2025-06-01T11:08:00.000Z',
      ingestRunId: 'fake-3',
      counts: failedRun.counts,
      sentAt: expect.any(String),
    });
    expect(outcomes).toEqual(['delivered']);
  });

  it('does not retry a 4xx answer, and gives up after the attempts', async () => {
    const outcomes: string[] = [];
    receiver.statuses = [404];
    const n = notifier(outcomes);
    n.notifyRunFailed(failedRun);
    await n.drain(5000);
    expect(receiver.calls).toHaveLength(1);

    receiver.statuses = [500, 500, 500, 500, 500];
    n.notifyRunFailed(failedRun);
    await n.drain(5000);
    expect(receiver.calls).toHaveLength(1 + 4);
    expect(outcomes).toEqual(['failed', 'failed']);
  });

  it('abandons retries still waiting when drain runs out of time (bounded shutdown)', async () => {
    receiver.statuses = [500, 500, 500];
    const outcomes: string[] = [];
    const n = new WebhookNotifier({ url: receiver.url, maxAttempts: 3, initialDelayMs: 60_000, timeoutMs: 1000, onOutcome: (o) => outcomes.push(o) });
    n.notifyRunFailed(failedRun);
    const started = Date.now();
    await n.drain(200);
    // The first retry waits up to 60 s (full jitter); drain gives it 200 ms, then gives up.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(receiver.calls.length).toBeGreaterThanOrEqual(1);
    expect(outcomes).toEqual(['failed']);
  });

  it('does nothing without a URL', async () => {
    const n = new WebhookNotifier({ maxAttempts: 3, initialDelayMs: 1, timeoutMs: 100 });
    expect(n.enabled).toBe(false);
    n.notifyRunFailed(failedRun);
    await n.drain(100);
    expect(receiver.calls).toHaveLength(0);
  });
});
