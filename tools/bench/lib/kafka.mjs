// Kafka helpers on the built @userstream/kafka library: fresh topics, loading
// cached records fast, consumer-group lag.
import corePkg from '@userstream/core';
import kafkaPkg from '@userstream/kafka';
import { readRecordChunks } from './records.mjs';
import { servers } from './env.mjs';

const { KafkaClient, USERSTREAM_HEADERS, CONTENT_TYPES, userSchemaHeader } = kafkaPkg;

/** The headers ingest puts on an Avro single-object record. */
export const AVRO_HEADERS = Object.freeze({
  [USERSTREAM_HEADERS.contentType]: CONTENT_TYPES.avro,
  [USERSTREAM_HEADERS.encoding]: 'avro',
  [USERSTREAM_HEADERS.schema]: userSchemaHeader('avro', 2),
  [USERSTREAM_HEADERS.runId]: 'bench',
});

export function kafkaClient(clientId = 'userstream-bench') {
  return new KafkaClient({ brokers: servers().brokers, clientId });
}

/** Creates a fresh topic (and fails when it already exists: names are unique per run). */
export async function createTopic(client, topic, partitions) {
  const admin = client.admin();
  try {
    const result = await admin.ensureTopic(topic, { partitions });
    if (!result.created) throw new Error(`topic ${topic} already existed`);
    return result;
  } finally {
    await admin.close();
  }
}

/** Deletes topics (and their `.dlq`), ignoring the ones that do not exist. */
export async function deleteTopics(client, topics) {
  const admin = client.admin();
  try {
    for (const topic of topics) {
      await admin.deleteTopic(topic).catch(() => false);
      await admin.deleteTopic(`${topic}.dlq`).catch(() => false);
    }
  } finally {
    await admin.close();
  }
}

/**
 * Produces the first `count` records of a cache file to `topic` as fast as the
 * producer goes (requests of `batchSize`, several in flight); `toMessage(r)`
 * turns a cached record into another message (default: as cached, Avro). Returns
 * `{ records, seconds, recordsPerSecond, bytes }`.
 * @param {ReturnType<typeof kafkaClient>} client
 * @param {string} topic
 * @param {string} file
 * @param {number} count
 * @param {{ batchSize?: number, inFlight?: number, onProgress?: (sent: number) => void, toMessage?: (record: any) => any }} [options]
 */
export async function loadTopic(client, topic, file, count, { batchSize = 1000, inFlight = 5, onProgress, toMessage } = {}) {
  const producer = client.producer({ batchSize, maxInFlightSends: inFlight });
  await producer.connect();
  const started = performance.now();
  const pending = new corePkg.TaskSet();
  let bytes = 0;
  let sent = 0;
  let failure;
  try {
    for await (const chunk of readRecordChunks(file, { count, chunkSize: batchSize * 2 })) {
      const messages = chunk.map((r) => {
        const message = toMessage ? toMessage(r) : { key: r.key, value: r.value, headers: AVRO_HEADERS };
        bytes += r.key.length + message.value.length;
        return message;
      });
      const p = producer.sendMessages(topic, messages).then(
        () => {
          sent += messages.length;
          onProgress?.(sent);
        },
        (error) => {
          failure ??= error;
        },
      );
      pending.track(p);
      // Keep the producer's request slots busy without queueing the whole file in memory.
      if (pending.size >= inFlight * 2) await pending.any();
      if (failure) throw failure;
    }
    await pending.drain();
    if (failure) throw failure;
  } finally {
    await producer.close({ timeoutMs: 30_000 }).catch(() => undefined);
  }
  const seconds = (performance.now() - started) / 1000;
  return { records: producer.acknowledged, seconds, recordsPerSecond: producer.acknowledged / seconds, bytes };
}

/** Total lag of a group on a topic (records not committed yet). */
export async function groupLag(admin, groupId, topic) {
  const lag = await admin.consumerGroupLag(groupId, topic);
  return { total: lag.total, committedAll: lag.partitions.every((p) => p.committed !== null), partitions: lag.partitions };
}

/** Sum of the topic's end offsets. */
export async function topicSize(admin, topic) {
  const offsets = await admin.topicEndOffsets(topic);
  return offsets.reduce((sum, p) => sum + (p.high - p.low), 0);
}
