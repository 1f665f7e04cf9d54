import type { TopicRecord } from '@userstream/kafka';
import { ParamsError } from '../jobs/job.definition';
import { MAX_REDRIVE_RECORDS, parseRedriveRequest, redriveCount, redriveMessage } from './dlq-redrive.service';

const dead = (headers: Record<string, string>): TopicRecord => ({
  partition: 0,
  offset: 7,
  timestamp: 0,
  key: Buffer.from('k'),
  value: Buffer.from([1, 2]),
  headers,
});

describe('re-drive requests', () => {
  it('accepts offsets of a partition or one reason, deduplicated and sorted', () => {
    expect(parseRedriveRequest({ partition: 0, offsets: [5, 3, 5] })).toEqual({ partition: 0, offsets: [3, 5] });
    expect(parseRedriveRequest({ partition: 2, reason: 'SCHEMA_ID_UNKNOWN' })).toEqual({ partition: 2, reason: 'SCHEMA_ID_UNKNOWN' });
  });

  it('refuses hostile bodies with a ParamsError (a 400)', () => {
    const bad: unknown[] = [
      null,
      [],
      'x',
      {},
      { partition: -1, reason: 'X' },
      { partition: 0 },
      { partition: 0, offsets: [1], reason: 'X' },
      { partition: 0, offsets: [] },
      { partition: 0, offsets: [1.5] },
      { partition: 0, offsets: ['1'] },
      { partition: 0, offsets: Array.from({ length: MAX_REDRIVE_RECORDS + 1 }, (_, i) => i) },
      { partition: 0, reason: '<script>' },
      { partition: 0, reason: 'X', extra: 1 },
      { partition: '0', reason: 'X' },
    ];
    for (const body of bad) expect(() => parseRedriveRequest(body)).toThrow(ParamsError);
  });
});

describe('the re-driven record', () => {
  it('keeps the original key, value and headers, drops the DLQ headers and counts the re-drive', () => {
    const record = dead({ 'userstream-run-id': 'r', 'dlq-error-code': 'X', 'dlq-original-offset': '3', 'dlq-stage': 'decode' });
    expect(redriveMessage(record, 't.dlq')).toEqual({
      key: Buffer.from('k'),
      value: Buffer.from([1, 2]),
      headers: { 'userstream-run-id': 'r', 'userstream-redrive-count': '1', 'userstream-redriven-from': 't.dlq/0/7' },
    });
    const again = dead({ 'userstream-redrive-count': '2', 'dlq-error-code': 'X' });
    expect(redriveCount(again)).toBe(2);
    expect(redriveMessage(again, 't.dlq').headers).toMatchObject({ 'userstream-redrive-count': '3' });
    expect(redriveCount(dead({ 'userstream-redrive-count': 'lots' }))).toBe(0);
  });
});
