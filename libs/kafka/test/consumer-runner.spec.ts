import { sleep, UserstreamError, waitFor } from '@userstream/core';
import { DEAD_LETTER_HEADERS, type ConsumerRunner, type ConsumerRunnerOptions, type KafkaAdmin, type KafkaClient, type KafkaEvents } from '../src';
import { decodeTestRecord, readAll, testClient, testRecords, unique, type TestRecord } from './helpers';

jest.setTimeout(60_000);

describe('ConsumerRunner against the real broker', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;
  const topics: string[] = [];
  const runners: Array<ConsumerRunner<unknown>> = [];

  beforeAll(() => {
    client = testClient();
    admin = client.admin();
  });
  afterEach(async () => {
    // A failing test must not leave a runner behind.
    for (const runner of runners.splice(0)) await runner.stop();
  });
  afterAll(async () => {
    for (const topic of topics) await admin.deleteTopic(topic);
    await admin.close();
  });

  async function topicWith(records: TestRecord[], partitions = 1, extra: Array<{ key: string; value: Buffer }> = []): Promise<string> {
    const topic = unique('runner');
    topics.push(topic, `${topic}.dlq`);
    await admin.ensureTopic(topic, { partitions });
    if (records.length + extra.length > 0) await produce(topic, records, extra);
    return topic;
  }

  async function produce(topic: string, records: TestRecord[], extra: Array<{ key: string; value: Buffer }> = []): Promise<void> {
    const producer = client.producer({ batchSize: 100 });
    try {
      await producer.sendMessages(topic, [
        ...records.map((r) => ({ key: r.id, value: JSON.stringify(r), headers: { origin: 'test' } })),
        ...extra.map((e) => ({ ...e, headers: { origin: 'poison' } })),
      ]);
    } finally {
      await producer.close();
    }
  }

  function runner(
    options: Omit<ConsumerRunnerOptions<TestRecord>, 'decode'> & { decode?: ConsumerRunnerOptions<TestRecord>['decode'] },
  ): ConsumerRunner<TestRecord> {
    const r = client.consumerRunner<TestRecord>({
      decode: decodeTestRecord,
      maxWaitTimeInMs: 50,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      stopTimeoutMs: 10_000,
      ...options,
    });
    runners.push(r as ConsumerRunner<unknown>);
    return r;
  }

  async function stop(r: ConsumerRunner<TestRecord>): Promise<void> {
    await r.stop();
    runners.splice(runners.indexOf(r as ConsumerRunner<unknown>), 1);
  }

  async function committed(groupId: string, topic: string): Promise<Array<number | null>> {
    const lag = await admin.consumerGroupLag(groupId, topic);
    return lag.partitions.map((p) => p.committed);
  }

  function collect<K extends keyof KafkaEvents & string>(event: K): { events: Array<KafkaEvents[K]>; off: () => void } {
    const events: Array<KafkaEvents[K]> = [];
    const off = client.events.on(event, (e) => events.push(e));
    return { events, off };
  }

  it('consumes every record of every partition, commits them all, and lag is 0', async () => {
    const topic = await topicWith(testRecords(60), 3);
    const groupId = unique('group');
    const seen = new Set<string>();
    const commits = collect('kafka.offsets_committed');
    const r = runner({
      groupId,
      topics: topic,
      partitionsConsumedConcurrently: 3,
      maxRecordsPerCall: 7,
      handler: async ({ records }) => {
        for (const record of records) seen.add(record.value.id);
      },
    });
    await r.start();
    expect(r.state).toBe('running');
    await waitFor(async () => (await admin.consumerGroupLag(groupId, topic)).total === 0 && seen.size === 60, { description: 'all 60 handled and committed' });
    expect(r.stats.handled).toBe(60);
    expect(commits.events.some((e) => e.topic === topic)).toBe(true);
    commits.off();
    const ends = await admin.topicEndOffsets(topic);
    expect(await committed(groupId, topic)).toEqual(ends.map((e) => e.high));
    await stop(r);
  });

  it('a failing handler commits nothing; a new runner in the same group gets the records again', async () => {
    const topic = await topicWith(testRecords(10));
    const groupId = unique('group');
    const retries = collect('kafka.handler_retry');
    const paused = collect('kafka.consumer_paused');
    const resumed = collect('kafka.consumer_resumed');
    let attempts = 0;
    const first = runner({
      groupId,
      topics: topic,
      handler: async () => {
        attempts++;
        throw new UserstreamError('cassandra is down', { code: 'SINK_UNAVAILABLE', retriable: true });
      },
    });
    await first.start();
    await waitFor(() => attempts >= 3, { description: 'three failed attempts' });
    retries.off();
    // Backoff between attempts, never a spin: attempts grow and each is announced.
    expect(retries.events.length).toBeGreaterThanOrEqual(2);
    expect(retries.events.every((e) => e.delayMs >= 50 && e.retriable && e.error.message === 'cassandra is down')).toBe(true);
    expect(retries.events.map((e) => e.attempt).slice(0, 2)).toEqual([1, 2]);
    // Each failure pauses the partition and the backoff's end resumes it.
    paused.off();
    resumed.off();
    expect(paused.events.filter((e) => e.topic === topic && e.reason === 'retry').length).toBeGreaterThanOrEqual(2);
    expect(resumed.events.filter((e) => e.topic === topic && e.reason === 'retry').length).toBeGreaterThanOrEqual(2);
    await stop(first);
    expect(await committed(groupId, topic)).toEqual([null]);

    const received: string[] = [];
    const second = runner({
      groupId,
      topics: topic,
      handler: async ({ records }) => {
        received.push(...records.map((r) => r.value.id));
      },
    });
    await second.start();
    await waitFor(() => received.length >= 10, { description: 'redelivery of the 10 records' });
    expect(received).toEqual(testRecords(10).map((r) => r.id));
    await waitFor(async () => (await committed(groupId, topic))[0] === 10, { description: 'commit of offset 10' });
    await stop(second);
  });

  it('a non-retriable whole-batch error is never skipped: it is retried until the handler succeeds', async () => {
    const topic = await topicWith(testRecords(5));
    const groupId = unique('group');
    const retries = collect('kafka.handler_retry');
    let calls = 0;
    const r = runner({
      groupId,
      topics: topic,
      handler: async () => {
        calls++;
        if (calls <= 2) throw new Error('bug in the handler');
      },
    });
    await r.start();
    await waitFor(async () => (await committed(groupId, topic))[0] === 5, { description: 'commit after the handler recovers' });
    retries.off();
    expect(calls).toBe(3);
    expect(retries.events.map((e) => e.retriable)).toEqual([false, false]);
    await stop(r);
  });

  it('records completed out of order commit only the contiguous prefix', async () => {
    const topic = await topicWith(testRecords(8));
    const groupId = unique('group');
    let calls = 0;
    const deliveries: string[][] = [];
    const r = runner({
      groupId,
      topics: topic,
      handler: async (batch) => {
        calls++;
        deliveries.push(batch.records.map((rec) => rec.offset));
        if (calls === 1) {
          // Offsets 0, 1, 2, 4 and 6 are written; 3 is not, then the handler fails.
          batch.done(...batch.records.filter((rec) => ['0', '1', '2', '4', '6'].includes(rec.offset)));
          throw new UserstreamError('write timeout', { retriable: true });
        }
        if (calls === 2) {
          expect((await committed(groupId, topic))[0]).toBe(3);
          throw new UserstreamError('still failing', { retriable: true });
        }
      },
    });
    await r.start();
    await waitFor(async () => (await committed(groupId, topic))[0] === 8, { description: 'everything committed in the end' });
    // The redelivery skips what this runner already finished (4 and 6).
    expect(deliveries[0]).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(deliveries[1]).toEqual(['3', '5', '7']);
    expect(deliveries[2]).toEqual(['3', '5', '7']);
    await stop(r);
  });

  it('dead-letters poison records with the original bytes and headers, and commits past them', async () => {
    const poison = [
      { key: 'bad-1', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
      { key: 'bad-2', value: Buffer.from('{"not":"a record"}') },
    ];
    const topic = await topicWith(testRecords(3), 1, poison);
    await produce(topic, testRecords(2, 3));
    const groupId = unique('group');
    const dead = collect('kafka.record_dead_lettered');
    const handled: string[] = [];
    const r = runner({
      groupId,
      topics: topic,
      handler: async (batch) => {
        for (const rec of batch.records) {
          if (rec.value.n === 4) batch.reject(rec, new UserstreamError('row rejected by the sink', { code: 'SINK_REJECTED' }), 'validate');
          else handled.push(rec.value.id);
        }
      },
    });
    await r.start();
    await waitFor(async () => (await committed(groupId, topic))[0] === 7, { description: 'commit past the poison records' });
    dead.off();
    expect(handled).toEqual(['id-0', 'id-1', 'id-2', 'id-3']);
    expect(r.stats.deadLettered).toBe(3);
    expect(dead.events.map((e) => [e.offset, e.stage, e.deadLetterTopic])).toEqual([
      ['3', 'decode', `${topic}.dlq`],
      ['4', 'decode', `${topic}.dlq`],
      ['6', 'validate', `${topic}.dlq`],
    ]);
    await stop(r);

    const dlq = await readAll(`${topic}.dlq`, 3);
    dlq.sort((a, b) => Number(a.headers?.[DEAD_LETTER_HEADERS.originalOffset]) - Number(b.headers?.[DEAD_LETTER_HEADERS.originalOffset]));
    expect(dlq.map((m) => m.key?.toString())).toEqual(['bad-1', 'bad-2', 'id-4']);
    expect(dlq[0].value?.equals(poison[0].value)).toBe(true);
    expect(dlq[1].value?.equals(poison[1].value)).toBe(true);
    expect(dlq[2].value?.toString()).toBe(JSON.stringify({ id: 'id-4', n: 4 }));
    const h = (i: number, name: string) => dlq[i].headers?.[name]?.toString();
    expect(h(0, DEAD_LETTER_HEADERS.originalTopic)).toBe(topic);
    expect(h(0, DEAD_LETTER_HEADERS.originalPartition)).toBe('0');
    expect(h(0, DEAD_LETTER_HEADERS.originalOffset)).toBe('3');
    expect(h(0, DEAD_LETTER_HEADERS.stage)).toBe('decode');
    expect(h(0, DEAD_LETTER_HEADERS.errorCode)).toBe('UNKNOWN');
    expect(h(0, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/JSON/);
    expect(h(1, DEAD_LETTER_HEADERS.errorMessage)).toBe('not a test record: {"not":"a record"}');
    expect(new Date(h(0, DEAD_LETTER_HEADERS.time) ?? '').getTime()).toBeGreaterThan(Date.now() - 120_000);
    expect(h(0, 'origin')).toBe('poison');
    expect(h(2, DEAD_LETTER_HEADERS.stage)).toBe('validate');
    expect(h(2, DEAD_LETTER_HEADERS.errorCode)).toBe('SINK_REJECTED');
    expect(h(2, DEAD_LETTER_HEADERS.errorMessage)).toBe('row rejected by the sink');
    expect(h(2, 'origin')).toBe('test');
  });

  describe('pipelined (pipelineDepth > 0)', () => {
    it('handles a newer batch while an older one is still in flight, and commits only once the older one is done', async () => {
      const topic = await topicWith(testRecords(5));
      const groupId = unique('group');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const calls: string[][] = [];
      const r = runner({
        groupId,
        topics: topic,
        pipelineDepth: 2,
        handler: async ({ records }) => {
          calls.push(records.map((rec) => rec.offset));
          if (records[0].offset === '0') await gate;
        },
      });
      await r.start();
      await waitFor(() => calls.length === 1, { description: 'first batch in the handler' });
      await produce(topic, testRecords(5, 5));
      // kafkajs fetched on while the first call waits: the second batch is handled beside it.
      await waitFor(() => calls.length === 2, { description: 'second batch handled while the first is in flight' });
      expect(calls).toEqual([
        ['0', '1', '2', '3', '4'],
        ['5', '6', '7', '8', '9'],
      ]);
      expect(r.stats.handled).toBe(5);
      expect(await committed(groupId, topic)).toEqual([null]);
      release();
      await waitFor(async () => (await committed(groupId, topic))[0] === 10, { description: 'commit of both batches' });
      expect(r.stats.handled).toBe(10);
      await stop(r);
    });

    it('a failure sends kafkajs back to the first record not committed; every record is handled and nothing is skipped', async () => {
      const topic = await topicWith([], 3);
      const groupId = unique('group');
      const handledIds = new Set<string>();
      let calls = 0;
      const retries = collect('kafka.handler_retry');
      const r = runner({
        groupId,
        topics: topic,
        partitionsConsumedConcurrently: 3,
        pipelineDepth: 3,
        maxRecordsPerCall: 4,
        handler: async (batch) => {
          calls++;
          await sleep(calls % 3 === 0 ? 15 : 1);
          if (calls % 5 === 0) {
            // Some records are written, then the call fails.
            const written = batch.records.slice(0, 1);
            for (const rec of written) handledIds.add(rec.value.id);
            batch.done(...written);
            throw new UserstreamError('write timeout', { retriable: true });
          }
          for (const rec of batch.records) handledIds.add(rec.value.id);
        },
      });
      await r.start();
      // Records arrive while earlier ones are handled: many small batches per partition.
      for (let i = 0; i < 12; i++) {
        await produce(topic, testRecords(20, i * 20));
        await sleep(20);
      }
      await waitFor(async () => (await admin.consumerGroupLag(groupId, topic)).total === 0, { timeoutMs: 45_000, description: 'all 240 committed' });
      retries.off();
      expect(retries.events.length).toBeGreaterThan(0);
      expect([...handledIds].sort()).toEqual(
        testRecords(240)
          .map((rec) => rec.id)
          .sort(),
      );
      const ends = await admin.topicEndOffsets(topic);
      expect(await committed(groupId, topic)).toEqual(ends.map((e) => e.high));
      await stop(r);
    });
  });

  it('reports lag N - M after consuming M of N records', async () => {
    const topic = await topicWith(testRecords(12), 2);
    const groupId = unique('group');
    const r = runner({ groupId, topics: topic, handler: async () => undefined });
    await r.start();
    await waitFor(async () => (await admin.consumerGroupLag(groupId, topic)).total === 0, { description: 'first 12 committed' });
    await stop(r);
    await produce(topic, testRecords(5, 12));
    const lag = await admin.consumerGroupLag(groupId, topic);
    expect(lag.total).toBe(5);
    expect(lag.partitions.reduce((sum, p) => sum + p.end - (p.committed ?? 0), 0)).toBe(5);
    expect(lag.partitions.every((p) => p.committed !== null && p.lag === p.end - p.committed)).toBe(true);
  });

  // Pipelined, kafkajs's own stop would not wait: its eachBatch call returned long before the handler ends.
  it.each([
    { mode: 'blocking', pipelineDepth: 0 },
    { mode: 'pipelined', pipelineDepth: 2 },
  ])('stop() lets the in-flight handler finish, commits it, and leaves the group ($mode)', async ({ pipelineDepth }) => {
    const topic = await topicWith(testRecords(4));
    const groupId = unique('group');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let finished = false;
    const r = runner({
      groupId,
      topics: topic,
      pipelineDepth,
      handler: async () => {
        started = true;
        await gate;
        finished = true;
      },
    });
    await r.start();
    expect((await admin.describeGroup(groupId)).members).toBe(1);
    await waitFor(() => started, { description: 'handler started' });
    const stopping = r.stop();
    expect(r.state).toBe('stopping');
    setTimeout(release, 300);
    await stopping;
    runners.splice(runners.indexOf(r as ConsumerRunner<unknown>), 1);
    expect(finished).toBe(true);
    expect(r.state).toBe('stopped');
    expect(await committed(groupId, topic)).toEqual([4]);
    expect(await admin.describeGroup(groupId)).toMatchObject({ state: 'Empty', members: 0 });
  });

  it('keeps the membership alive through a handler call longer than the session timeout', async () => {
    const topic = await topicWith(testRecords(3));
    const groupId = unique('group');
    const joins = collect('kafka.group_joined');
    let calls = 0;
    const r = runner({
      groupId,
      topics: topic,
      sessionTimeout: 6_000,
      heartbeatInterval: 500,
      handler: async () => {
        calls++;
        // Longer than the session: without heartbeats the coordinator would evict this member.
        await sleep(7_500);
      },
    });
    await r.start();
    await waitFor(async () => (await committed(groupId, topic))[0] === 3, { timeoutMs: 30_000, description: 'commit after the long call' });
    joins.off();
    expect(calls).toBe(1);
    expect(joins.events.filter((e) => e.groupId === groupId)).toHaveLength(1);
    await stop(r);
  });

  it('start() fails with a clear retriable error for a missing topic and creates no dead-letter topic', async () => {
    const topic = unique('missing');
    const r = runner({ groupId: unique('group'), topics: topic, handler: async () => undefined });
    await expect(r.start()).rejects.toMatchObject({
      code: 'KAFKA_CONSUMER_FAILED',
      retriable: true,
      message: expect.stringContaining(`topic ${topic} does not exist`),
    });
    expect(r.state).toBe('stopped');
    expect(await admin.topicExists(`${topic}.dlq`)).toBe(false);
  });

  it('pause() stops delivery until resume()', async () => {
    const topic = await topicWith(testRecords(2));
    const groupId = unique('group');
    const received: string[] = [];
    const r = runner({ groupId, topics: topic, handler: async ({ records }) => void received.push(...records.map((x) => x.value.id)) });
    await r.start();
    await waitFor(() => received.length === 2, { description: 'first two records' });
    r.pause();
    expect(r.paused).toBe(true);
    await produce(topic, testRecords(3, 2));
    // An absence can only be observed over a window: 600 ms is 12 fetch cycles at maxWaitTimeInMs 50.
    await sleep(600);
    expect(received).toHaveLength(2);
    expect((await admin.consumerGroupLag(groupId, topic)).total).toBe(3);
    r.resume();
    await waitFor(() => received.length === 5, { description: 'records after resume' });
    await stop(r);
  });
});
