import type { RunStatus } from '@userstream/ingest-contract';
import { formatProgress, formatSummary, progressRatio } from './cli.format';

const status: RunStatus = {
  id: 'r1',
  state: 'succeeded',
  params: { records: 10_000, seed: 'abc', encoding: 'avro', startPage: 1, pageSize: 5000, nat: 'GB' },
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:02.000Z',
  counts: { pagesFetched: 2, fetched: 10_000, valid: 9_990, invalid: 10, discarded: 0, produced: 9_990, acknowledged: 9_990 },
  cursor: { seed: 'abc', startPage: 1, nextPage: 3 },
  offsets: { topic: 'users_created', partitions: [{ partition: 0, first: 5, last: 5000 }] },
  errors: [{ code: 'RECORD_INVALID', message: 'invalid randomuser result: login.uuid (missing)', count: 10 }],
};

describe('cli format', () => {
  it('measures progress by records, by time, or the further of both', () => {
    expect(progressRatio({ ...status, counts: { ...status.counts, valid: 2500, invalid: 0 } }, 0)).toBe(0.25);
    expect(progressRatio({ ...status, params: { ...status.params, records: undefined, durationSeconds: 10 } }, 4000)).toBe(0.4);
    expect(progressRatio({ ...status, params: { ...status.params, durationSeconds: 1 } }, 60_000)).toBe(1);
  });

  it('draws a bar on a terminal and a plain line elsewhere', () => {
    const view = { status: { ...status, counts: { ...status.counts, valid: 4990, invalid: 10, acknowledged: 4000 } }, elapsedMs: 2000, width: 100 };
    expect(formatProgress(view, true)).toMatch(/^\[#{10,}-{10,}\] {2}50% 5000\/10000 users {2}4000 acked {2}10 invalid {2}2000 rec\/s {2}00:02$/);
    expect(formatProgress(view, false)).toBe('progress: 50% 5000/10000 users  4000 acked  10 invalid  2000 rec/s  00:02');
  });

  it('sums up counts, throughput, offsets, errors and the cursor to replay or continue', () => {
    const text = formatSummary(status, 2000, 'users_created');
    expect(text).toContain('ingest run r1 succeeded in 2.0 s');
    expect(text).toContain('users fetched   10000 (valid 9990, invalid 10, discarded 0)');
    expect(text).toContain('throughput      4995 records/s acknowledged');
    expect(text).toContain('offsets         p0 5-5000');
    expect(text).toContain('RECORD_INVALID x10: invalid randomuser result: login.uuid (missing)');
    expect(text).toContain('replay          --seed abc --start-page 1 --page-size 5000 --records 10000 --nat GB');
    expect(text).toContain('continue        --seed abc --start-page 3 --page-size 5000 --nat GB');
  });
});
