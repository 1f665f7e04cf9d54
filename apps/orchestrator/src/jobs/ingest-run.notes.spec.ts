import type { RunStatus as IngestRunStatus } from '@userstream/ingest-contract';
import { ingestRunNotes } from './ingest-run.notes';

function status(overrides: Partial<IngestRunStatus> = {}): IngestRunStatus {
  return {
    id: 'ing-1',
    state: 'running',
    params: {},
    startedAt: '2025-06-01T10:00:00.000Z',
    counts: { pagesFetched: 0, fetched: 0, valid: 0, invalid: 0, produced: 0, acknowledged: 0 },
    cursor: { seed: 's', startPage: 1, nextPage: 1 },
    errors: [],
    ...overrides,
  };
}

const counts = (pages: number) => ({
  pagesFetched: pages,
  fetched: pages * 10,
  valid: pages * 10 - 1,
  invalid: 1,
  produced: pages * 10 - 1,
  acknowledged: pages * 10 - 2,
});
const WAIT = { for: 'kafka' as const, since: '2025-06-01T10:00:03.000Z', reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' };

describe('ingestRunNotes', () => {
  it('notes the start, then pages fetched as one keyed line, only when they change', () => {
    expect(ingestRunNotes(undefined, status())).toEqual([{ level: 'info', message: 'ingest run ing-1 started' }]);
    const one = status({ counts: counts(1) });
    expect(ingestRunNotes(status(), one)).toEqual([
      { level: 'info', key: 'pages', message: '1 pages fetched: 10 records, 9 valid, 1 invalid, 8 acknowledged by Kafka' },
    ]);
    expect(ingestRunNotes(one, status({ counts: counts(1) }))).toEqual([]);
  });

  it('notes problems ingest retried, by kind, when their count grows', () => {
    const before = status({ errors: [{ code: 'API_UNAVAILABLE', message: 'HTTP 503', count: 2 }] });
    const after = status({
      errors: [
        { code: 'API_UNAVAILABLE', message: 'HTTP 503', count: 5 },
        { code: 'API_TIMEOUT', message: 'no answer in 10 s', count: 1 },
      ],
    });
    expect(ingestRunNotes(before, after)).toEqual([
      { level: 'warn', key: 'problem:API_UNAVAILABLE', message: 'ingest retried: API_UNAVAILABLE: HTTP 503 (x5)' },
      { level: 'warn', key: 'problem:API_TIMEOUT', message: 'ingest retried: API_TIMEOUT: no answer in 10 s (x1)' },
    ]);
    expect(ingestRunNotes(after, after)).toEqual([]);
  });

  it('notes a wait for Kafka, then how long it lasted, on the same line', () => {
    const waiting = status({ waiting: WAIT });
    expect(ingestRunNotes(status(), waiting)).toEqual([
      { level: 'warn', key: `kafka-wait:${WAIT.since}`, message: `waiting for Kafka since ${WAIT.since}: ${WAIT.reason}` },
    ]);
    expect(ingestRunNotes(waiting, status({ waiting: WAIT }))).toEqual([]);
    expect(ingestRunNotes(waiting, status(), Date.parse('2025-06-01T10:00:15.500Z'))).toEqual([
      { level: 'info', key: `kafka-wait:${WAIT.since}`, message: `waited 12.5 s for Kafka (since ${WAIT.since}: ${WAIT.reason}); it answers again` },
    ]);
  });

  it('notes how the run ended, with the reason', () => {
    expect(ingestRunNotes(status(), status({ state: 'failed', error: 'randomuser API kept failing' }))).toEqual([
      { level: 'error', message: 'ingest run ing-1 failed: randomuser API kept failing' },
    ]);
    expect(ingestRunNotes(status({ waiting: WAIT }), status({ state: 'cancelled' }), Date.parse('2025-06-01T10:03:03.000Z'))).toEqual([
      { level: 'info', key: `kafka-wait:${WAIT.since}`, message: `waited 3 min for Kafka (since ${WAIT.since}: ${WAIT.reason})` },
      { level: 'warn', message: 'ingest run ing-1 cancelled' },
    ]);
  });
});
