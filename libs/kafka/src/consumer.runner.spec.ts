// Unit tests of the runner's batch logic (decode, handler outcomes, dead
// letters, the contiguous-prefix commit rule, retries) with a fake kafkajs
// eachBatch payload: no broker involved. The broker scenarios live in test/.
import { ConfigError, UserstreamError } from '@userstream/core';
import { KafkaJSProtocolError, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type { ConsumerRunnerOptions, HandlerBatch } from './consumer.options';
import { ConsumerRunner } from './consumer.runner';
import { DeadLetterPublisher, type DeadLetterEntry } from './dead-letter.publisher';
import { KafkaClient } from './kafka.client';
import type { KafkaEvents } from './kafka.events';

interface Rec {
  n: number;
}

class StubDeadLetter extends DeadLetterPublisher {
  published: DeadLetterEntry[] = [];
  failures = 0;
  override async publish(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new UserstreamError('dlq unavailable', { code: 'KAFKA_DEAD_LETTER_FAILED', retriable: true });
    }
    this.published.push(...entries);
  }
  override async ensureTopicFor(): Promise<void> {
    // The stub needs no topic.
  }
  override async close(): Promise<void> {
    // Nothing to disconnect.
  }
}

function message(offset: number, value: string | Buffer): KafkaMessage {
  return {
    key: Buffer.from(`k${offset}`),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    timestamp: '1700000000000',
    attributes: 0,
    offset: String(offset),
    headers: { origin: 'unit' },
  } as KafkaMessage;
}

function records(from: number, to: number): KafkaMessage[] {
  return Array.from({ length: to - from }, (_, i) => message(from + i, JSON.stringify({ n: from + i })));
}

interface FakePayload {
  payload: EachBatchPayload;
  commits: string[];
  resolved: string[];
  running: { value: boolean };
}

function fakePayload(messages: KafkaMessage[], options: { commit?: () => Promise<void>; heartbeat?: () => Promise<void> } = {}): FakePayload {
  const commits: string[] = [];
  const resolved: string[] = [];
  const running = { value: true };
  const payload = {
    batch: {
      topic: 't',
      partition: 0,
      highWatermark: '100',
      messages,
      lastOffset: () => messages[messages.length - 1].offset,
    },
    resolveOffset: (offset: string) => void resolved.push(offset),
    heartbeat: options.heartbeat ?? (async () => undefined),
    commitOffsetsIfNecessary: async (offsets: { topics: Array<{ partitions: Array<{ offset: string }> }> }) => {
      await options.commit?.();
      commits.push(offsets.topics[0].partitions[0].offset);
    },
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => running.value,
    isStale: () => false,
    pause: () => () => undefined,
  } as unknown as EachBatchPayload;
  return { payload, commits, resolved, running };
}

function decode(m: KafkaMessage): Rec {
  const parsed = JSON.parse(m.value?.toString() ?? '') as Rec;
  if (typeof parsed.n !== 'number') throw new UserstreamError('no n', { code: 'RECORD_UNDECODABLE' });
  return parsed;
}

describe('ConsumerRunner batch logic', () => {
  let client: KafkaClient;
  let dlq: StubDeadLetter;
  let runner: ConsumerRunner<Rec> | undefined;

  beforeEach(() => {
    client = new KafkaClient({ brokers: ['127.0.0.1:9'] });
    dlq = new StubDeadLetter(client);
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
  });

  function create(handler: (batch: HandlerBatch<Rec>) => Promise<void>, options: Partial<ConsumerRunnerOptions<Rec>> = {}) {
    runner = new ConsumerRunner<Rec>(client, {
      groupId: 'g',
      topics: 't',
      decode,
      handler,
      deadLetter: dlq,
      retry: { initialDelayMs: 10, maxDelayMs: 20 },
      ...options,
    });
    const eachBatch = (payload: EachBatchPayload) => (runner as unknown as { eachBatch(p: EachBatchPayload): Promise<void> }).eachBatch(payload);
    return { runner, eachBatch };
  }

  function collect<K extends keyof KafkaEvents & string>(event: K): Array<KafkaEvents[K]> {
    const events: Array<KafkaEvents[K]> = [];
    client.events.on(event, (e) => events.push(e));
    return events;
  }

  it('hands records over in chunks and commits after each, up to the batch end', async () => {
    const seen: number[][] = [];
    const { eachBatch } = create(async ({ records }) => void seen.push(records.map((r) => r.value.n)), { maxRecordsPerCall: 2 });
    const handled = collect('kafka.batch_handled');
    const fake = fakePayload(records(0, 5));
    await eachBatch(fake.payload);
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
    expect(fake.commits).toEqual(['2', '4', '5']);
    expect(fake.resolved).toEqual(['1', '3', '4']);
    expect(handled.map((e) => [e.records, e.lastOffset])).toEqual([
      [2, '1'],
      [2, '3'],
      [1, '4'],
    ]);
  });

  it('dead-letters undecodable messages with their original bytes and never gives them to the handler', async () => {
    const seen: number[] = [];
    const { eachBatch, runner: r } = create(async ({ records }) => void seen.push(...records.map((x) => x.value.n)));
    const poison = Buffer.from([0x00, 0xff, 0x13]);
    const fake = fakePayload([message(0, '{"n":0}'), message(1, poison), message(2, '{"x":1}'), message(3, '{"n":3}')]);
    await eachBatch(fake.payload);
    expect(seen).toEqual([0, 3]);
    expect(dlq.published.map((e) => [e.offset, e.stage, (e.error as { code?: string }).code ?? 'none'])).toEqual([
      ['1', 'decode', 'none'],
      ['2', 'decode', 'RECORD_UNDECODABLE'],
    ]);
    expect(dlq.published[0].value).toBe(poison);
    expect(dlq.published[0].key?.toString()).toBe('k1');
    expect(dlq.published[0].headers).toEqual({ origin: 'unit' });
    expect(fake.commits).toEqual(['4']);
    expect(r.stats).toEqual({ handled: 2, deadLettered: 2, commits: 1, retries: 0 });
  });

  it('commits only the contiguous done prefix when the handler fails, and redelivers the rest without what is done', async () => {
    const deliveries: Array<{ offsets: string[]; attempt: number }> = [];
    const { eachBatch } = create(async (batch) => {
      deliveries.push({ offsets: batch.records.map((r) => r.offset), attempt: batch.attempt });
      if (deliveries.length === 1) {
        batch.done(batch.records[0], batch.records[2], batch.records[3]);
        throw new UserstreamError('timeout writing', { retriable: true });
      }
    });
    const retries = collect('kafka.handler_retry');
    const paused = collect('kafka.consumer_paused');
    const first = fakePayload(records(0, 5));
    await eachBatch(first.payload);
    expect(first.commits).toEqual(['1']);
    expect(first.resolved).toEqual(['0']);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ topic: 't', partition: 0, attempt: 1, retriable: true });
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(10);
    expect(paused).toEqual([{ topic: 't', partitions: [0], reason: 'retry' }]);

    // kafkajs fetches again from the first offset not done.
    const second = fakePayload(records(1, 5));
    await eachBatch(second.payload);
    expect(deliveries[1]).toEqual({ offsets: ['1', '4'], attempt: 2 });
    expect(second.commits).toEqual(['5']);
  });

  it('rejected records go to the dead-letter topic before they count; a failed dead-letter write is retried', async () => {
    let calls = 0;
    const { eachBatch } = create(async (batch) => {
      calls++;
      const bad = batch.records.find((r) => r.offset === '1');
      if (bad) batch.reject(bad, new UserstreamError('bad row', { code: 'SINK_REJECTED' }));
    });
    dlq.failures = 1;
    const first = fakePayload(records(0, 3));
    await eachBatch(first.payload);
    // 0 is written, 1 could not be dead-lettered: nothing past 0 is committed.
    expect(first.commits).toEqual(['1']);
    expect(dlq.published).toHaveLength(0);
    const second = fakePayload(records(1, 3));
    await eachBatch(second.payload);
    expect(calls).toBe(2);
    expect(dlq.published.map((e) => [e.offset, e.stage])).toEqual([['1', 'write']]);
    expect(second.commits).toEqual(['3']);
  });

  it('a retriable decode failure stops the chunk there, without dead-lettering', async () => {
    let unavailable = true;
    const seen: number[] = [];
    const { eachBatch } = create(async ({ records }) => void seen.push(...records.map((x) => x.value.n)), {
      decode: (m) => {
        if (m.offset === '2' && unavailable) throw new UserstreamError('schema registry down', { retriable: true });
        return decode(m);
      },
    });
    const first = fakePayload(records(0, 4));
    await eachBatch(first.payload);
    expect(seen).toEqual([0, 1]);
    expect(first.commits).toEqual(['2']);
    expect(dlq.published).toHaveLength(0);
    unavailable = false;
    const second = fakePayload(records(2, 4));
    await eachBatch(second.payload);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(second.commits).toEqual(['4']);
  });

  it('commits what is done, then hands a rebalance seen by a heartbeat back to kafkajs', async () => {
    const rebalance = new KafkaJSProtocolError({ message: 'rebalancing', type: 'REBALANCE_IN_PROGRESS', code: 27, retriable: true } as never);
    const { eachBatch } = create(async (batch) => {
      await batch.heartbeat();
    });
    const fake = fakePayload(records(0, 3), { heartbeat: () => Promise.reject(rebalance) });
    await expect(eachBatch(fake.payload)).rejects.toBe(rebalance);
    expect(fake.commits).toEqual(['3']);
  });

  it('a commit that keeps failing is not resolved and the partition is retried', async () => {
    const { eachBatch } = create(async () => undefined);
    const retries = collect('kafka.handler_retry');
    const fake = fakePayload(records(0, 2), {
      commit: () => Promise.reject(new KafkaJSProtocolError({ message: 'denied', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false } as never)),
    });
    await eachBatch(fake.payload);
    expect(fake.resolved).toEqual([]);
    expect(retries).toHaveLength(1);
  });

  it('pipelined: returns before the handler ends, and a batch that waited for room while the partition failed is dropped', async () => {
    let fail!: (error: Error) => void;
    const calls: string[][] = [];
    const { eachBatch, runner: r } = create(
      async ({ records }) => {
        calls.push(records.map((x) => x.offset));
        if (calls.length === 1) await new Promise<void>((_, reject) => (fail = reject));
      },
      { pipelineDepth: 1 },
    );
    const seek = jest.spyOn((r as unknown as { consumer: { seek(tp: object): void } }).consumer, 'seek').mockImplementation(() => undefined);
    const first = fakePayload(records(0, 3));
    await eachBatch(first.payload);
    // kafkajs may fetch on at once: its position is past the batch, nothing is committed yet.
    expect(first.resolved).toEqual(['2']);
    expect(first.commits).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(1);
    const second = fakePayload(records(3, 6));
    const waiting = eachBatch(second.payload);
    fail(new UserstreamError('write timed out', { retriable: true }));
    await waiting;
    // The second batch was fetched before the failure: it is not handled, and kafkajs reads from 0 again.
    expect(calls).toEqual([['0', '1', '2']]);
    expect(second.resolved).toEqual([]);
    expect(seek).toHaveBeenCalledWith({ topic: 't', partition: 0, offset: '0' });
    expect(r.stats.retries).toBe(1);
  });

  it('stops between chunks once kafkajs stops running', async () => {
    const fake = fakePayload(records(0, 6));
    const seen: number[] = [];
    const { eachBatch } = create(
      async ({ records }) => {
        seen.push(...records.map((x) => x.value.n));
        fake.running.value = false;
      },
      { maxRecordsPerCall: 2 },
    );
    await eachBatch(fake.payload);
    expect(seen).toEqual([0, 1]);
    expect(fake.commits).toEqual(['2']);
  });
});

describe('ConsumerRunner lifecycle without a broker', () => {
  it('start() fails with a retriable error when Kafka cannot be reached, and the runner ends stopped', async () => {
    const client = new KafkaClient({ brokers: ['127.0.0.1:9'], connectionTimeoutMs: 200, retry: { retries: 0 } });
    const runner = new ConsumerRunner(client, { groupId: 'g', topics: 't', decode: () => 1, handler: async () => undefined });
    await expect(runner.start()).rejects.toMatchObject({ retriable: true, code: 'KAFKA_CONNECT_FAILED' });
    expect(runner.state).toBe('stopped');
    await expect(runner.start()).rejects.toThrow('consumer runner cannot start: it is stopped');
    await runner.stop();
  });

  it('stop() before start() is a no-op that leaves the runner stopped', async () => {
    const client = new KafkaClient({ brokers: ['127.0.0.1:9'] });
    const runner = new ConsumerRunner(client, { groupId: 'g', topics: 't', decode: () => 1, handler: async () => undefined });
    await runner.stop();
    expect(runner.state).toBe('stopped');
  });
});

describe('ConsumerRunner options', () => {
  const client = new KafkaClient({ brokers: ['127.0.0.1:9'] });
  const base = { groupId: 'g', topics: 't', decode: () => 1, handler: async () => undefined };

  it('applies latency-friendly defaults', () => {
    const r = new ConsumerRunner(client, base);
    expect(r.options).toMatchObject({ topics: ['t'], fromBeginning: true, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 1, maxRecordsPerCall: 500 });
    expect(r.state).toBe('idle');
  });

  it('names every invalid option', () => {
    let message = '';
    try {
      new ConsumerRunner(client, { ...base, groupId: '', topics: [], heartbeatInterval: 5_000, sessionTimeout: 4_000, maxRecordsPerCall: 0 });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('groupId is required');
    expect(message).toContain('topics must name at least one topic');
    expect(message).toContain('heartbeatInterval (5000) must be lower than sessionTimeout (4000)');
    expect(message).toContain('maxRecordsPerCall must be an integer >= 1');
  });
});
