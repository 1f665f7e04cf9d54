import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { waitFor, type Logger } from '@userstream/core';
import type { UserRecordV2 } from '@userstream/user-schema';
import { KafkaClient, type KafkaConnectionOptions } from '../src';

/** Bootstrap servers of the real Kafka the integration specs use. */
export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

/** A name no other test (or earlier run) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

/** Collects log calls so tests can assert on warnings; silent otherwise. */
export function memoryLogger(): Logger & { entries: Array<{ level: string; msg?: string; obj: object }> } {
  const entries: Array<{ level: string; msg?: string; obj: object }> = [];
  const make = (bindings: object): Logger & { entries: typeof entries } => {
    const log = (level: string) => (objOrMsg: object | string, msg?: string) => {
      if (typeof objOrMsg === 'string') entries.push({ level, msg: objOrMsg, obj: bindings });
      else entries.push({ level, msg, obj: { ...bindings, ...objOrMsg } });
    };
    return {
      entries,
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      fatal: log('fatal'),
      child: (more: Record<string, unknown>) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

/** A client on the test brokers with fast retries. */
export function testClient(overrides: Partial<KafkaConnectionOptions> = {}): KafkaClient {
  return new KafkaClient({
    brokers: BROKERS,
    clientId: 'kafka-lib-test',
    retry: { retries: 3, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 },
    ...overrides,
  });
}

/** Reads every message of `topic` (from the beginning) with a plain kafkajs consumer until `count` arrived. */
export async function readAll(topic: string, count: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const kafka = new Kafka({ brokers: BROKERS, clientId: 'kafka-lib-test-reader', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: unique('reader'), maxWaitTimeInMs: 100 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
      },
    });
    await waitFor(() => messages.length >= count, { timeoutMs, description: `${count} messages on ${topic} (have ${messages.length})` });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** A tiny JSON record for tests that do not need the user schema. */
export interface TestRecord {
  id: string;
  n: number;
}

/** Decodes a TestRecord; anything else throws (a poison record). */
export function decodeTestRecord(message: KafkaMessage): TestRecord {
  const text = message.value?.toString('utf8') ?? '';
  const parsed = JSON.parse(text) as TestRecord;
  if (typeof parsed.id !== 'string' || typeof parsed.n !== 'number') throw new Error(`not a test record: ${text}`);
  return parsed;
}

export function testRecords(count: number, start = 0): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({ id: `id-${start + i}`, n: start + i }));
}

/** A valid v2 user record (the id is a UUID, as the codec requires). */
export function sampleUser(i: number): UserRecordV2 {
  const hex = i.toString(16).padStart(12, '0');
  return {
    id: `3f2a6c1e-8b4d-4c2a-9e1f-${hex}`,
    first_name: `First${i}`,
    last_name: 'Lastname',
    gender: i % 2 === 0 ? 'female' : 'male',
    address: `${i} Main Street, Springfield, Oregon, United States`,
    postcode: `9700${i % 10}`,
    email: `user${i}@example.com`,
    username: `user${i}`,
    dob: '1990-04-01T10:00:00.000Z',
    registered_date: '2015-06-01T10:00:00.000Z',
    phone: '(555) 010-0000',
    picture: `https://randomuser.me/api/portraits/women/${i % 100}.jpg`,
    title: 'Ms',
    nationality: 'US',
    cell: '(555) 010-0001',
    city: 'Springfield',
    state: 'Oregon',
    country: 'United States',
    latitude: 44.05,
    longitude: -123.02,
    timezone_offset: '-8:00',
    timezone_description: 'Pacific Time (US & Canada)',
    age: 36,
    picture_medium: `https://randomuser.me/api/portraits/med/women/${i % 100}.jpg`,
    picture_thumbnail: `https://randomuser.me/api/portraits/thumb/women/${i % 100}.jpg`,
    ingested_at: 1_760_000_000_000 + i,
  };
}
