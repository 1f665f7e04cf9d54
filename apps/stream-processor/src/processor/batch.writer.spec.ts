import { SinkError, type WriteBatchResult } from '@userstream/cassandra-sink';
import type { ConsumedRecord, DecodedUserValue, HandlerBatch } from '@userstream/kafka';
import { TypedEmitter } from '@userstream/core';
import { writeUserBatch, type ProcessorEvents } from './batch.writer';

function makeBatch(n: number) {
  const records = Array.from({ length: n }, (_, i) => ({
    topic: 't',
    partition: 0,
    offset: String(100 + i),
    key: null,
    value: { record: { id: `id-${i}` }, encoding: 'avro' } as unknown as DecodedUserValue,
    headers: {},
    timestamp: String(Date.now() - 50),
    message: {} as ConsumedRecord<DecodedUserValue>['message'],
  }));
  const done: string[] = [];
  const rejected: Array<{ offset: string; stage?: string }> = [];
  const batch: HandlerBatch<DecodedUserValue> = {
    topic: 't',
    partition: 0,
    records,
    attempt: 1,
    highWatermark: String(100 + n + 10),
    done: (...rs) => done.push(...rs.map((r) => r.offset)),
    reject: (r, _e, stage) => rejected.push({ offset: r.offset, stage }),
    heartbeat: async () => undefined,
    signal: new AbortController().signal,
  };
  return { batch, done, rejected };
}

function sinkAnswering(outcomes: Array<'written' | 'fatal' | 'retry'>) {
  return {
    writeBatch: async (): Promise<WriteBatchResult> => {
      const results = outcomes.map((o, index) =>
        o === 'written'
          ? { index, id: `id-${index}`, status: 'written' as const, attempts: 1 }
          : {
              index,
              id: `id-${index}`,
              status: 'failed' as const,
              error: new SinkError(o, { code: o === 'fatal' ? 'SINK_INVALID_RECORD' : 'SINK_UNAVAILABLE', retriable: o === 'retry' }),
              code: o === 'fatal' ? 'SINK_INVALID_RECORD' : 'SINK_UNAVAILABLE',
              retriable: o === 'retry',
              attempts: 1,
            },
      );
      const written = outcomes.filter((o) => o === 'written').length;
      return {
        results,
        written,
        failed: outcomes.length - written,
        retriableFailures: outcomes.filter((o) => o === 'retry').length,
        durationMs: 1,
        tables: ['users'],
      } as WriteBatchResult;
    },
  };
}

describe('writeUserBatch', () => {
  it('marks written records done and reports lag and latencies', async () => {
    const { batch, done, rejected } = makeBatch(3);
    const events = new TypedEmitter<ProcessorEvents>();
    const seen: ProcessorEvents['processor.batch_done'][] = [];
    events.on('processor.batch_done', (e) => seen.push(e));
    await writeUserBatch(sinkAnswering(['written', 'written', 'written']), batch, events);
    expect(done).toEqual(['100', '101', '102']);
    expect(rejected).toEqual([]);
    expect(seen[0]).toMatchObject({ written: 3, deadLettered: 0, lag: 10 });
    expect(seen[0].latenciesMs.every((ms) => ms >= 50)).toBe(true);
  });

  it('dead-letters records Cassandra refuses for good at the write stage', async () => {
    const { batch, done, rejected } = makeBatch(3);
    await writeUserBatch(sinkAnswering(['written', 'fatal', 'written']), batch, new TypedEmitter());
    expect(done).toEqual(['100', '102']);
    expect(rejected).toEqual([{ offset: '101', stage: 'write' }]);
  });

  it('leaves retriable failures undone and throws a retriable error so the runner pauses and retries', async () => {
    const { batch, done, rejected } = makeBatch(3);
    const failure = writeUserBatch(sinkAnswering(['written', 'retry', 'written']), batch, new TypedEmitter());
    await expect(failure).rejects.toMatchObject({ retriable: true });
    expect(done).toEqual(['100', '102']);
    expect(rejected).toEqual([]);
  });
});
