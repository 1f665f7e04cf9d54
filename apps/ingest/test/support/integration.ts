// Helpers of the integration specs: the built app as a child process against
// the real Kafka and an in-process mock API, and a plain kafkajs reader.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { waitFor } from '@userstream/core';
import { SERVICE_AUTH, startAppProcess, type AppProcess } from '@userstream/tools/testing';
import type { RunStatus } from '@userstream/ingest-contract';

export const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
export const appEntry = join(__dirname, '..', '..', 'dist', 'main.js');
export const cliEntry = join(__dirname, '..', '..', 'dist', 'cli.js');

/** A topic name no other test uses. */
export function uniqueTopic(label: string): string {
  return `ingest_test_${label}_${Date.now()}_${randomBytes(3).toString('hex')}`;
}

/** Environment of the app or the CLI for one test: its topic, the mock API, quick retries, quiet logs. */
export function testEnv(topic: string, apiUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: topic,
    RANDOMUSER_BASE_URL: apiUrl,
    RANDOMUSER_RETRY_INITIAL_DELAY_MS: '20',
    RANDOMUSER_RETRY_MAX_DELAY_MS: '2000',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts the built ingest app. */
export function startIngest(env: Record<string, string>): Promise<AppProcess> {
  return startAppProcess(appEntry, { env });
}

export async function postRun(app: AppProcess, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${app.url}/runs`, { method: 'POST', headers: { ...SERVICE_AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getRun(app: AppProcess, id: string): Promise<RunStatus> {
  const res = await fetch(`${app.url}/runs/${id}`, { headers: SERVICE_AUTH });
  if (res.status !== 200) throw new Error(`GET /runs/${id}: HTTP ${res.status}`);
  return (await res.json()) as RunStatus;
}

/** Polls the run until it is over (any final state). */
export function waitForEnd(app: AppProcess, id: string, timeoutMs = 60_000): Promise<RunStatus> {
  return waitFor(
    async () => {
      const status = await getRun(app, id);
      return status.state === 'running' ? undefined : status;
    },
    { timeoutMs, intervalMs: 100, description: `run ${id} to end` },
  );
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

/**
 * Sum of the topic's end offsets (records ever written to a fresh topic).
 */
export async function topicSize(topic: string): Promise<number> {
  const kafka = new Kafka({ brokers, clientId: 'ingest-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of `topic` with a plain kafkajs consumer; expects `count` of them. */
export async function readTopic(topic: string, count: number): Promise<ReadMessage[]> {
  const kafka = new Kafka({ brokers, clientId: 'ingest-test', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `ingest-test-reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? '',
          value: message.value ?? Buffer.alloc(0),
          headers: headerText(message.headers),
        });
      },
    });
    await waitFor(() => messages.length >= count || undefined, { timeoutMs: 30_000, description: `${count} records on ${topic} (have ${messages.length})` });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Deletes test topics (best effort). */
export async function deleteTopics(topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const kafka = new Kafka({ brokers, clientId: 'ingest-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } finally {
    await admin.disconnect();
  }
}
