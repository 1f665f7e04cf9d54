import { Injectable } from '@nestjs/common';
import { DEAD_LETTER_HEADERS, type TopicReadRequest, type TopicRecord } from '@userstream/kafka';
import { DecodeError, UnknownSchemaIdError, UserCodec } from '@userstream/user-schema';
import { PipelineSettings } from '../pipeline/pipeline.service';
import { PipelineStats } from '../pipeline/pipeline.stats';

/** Bytes of an undecodable value shown as hex. */
const HEX_BYTES = 512;

/** A topic the browser may read: the pipeline's topic or its dead-letter topic. */
export interface BrowsableTopic {
  name: string;
  kind: 'topic' | 'dlq';
  exists: boolean;
  partitions: Array<{ partition: number; low: number; high: number }>;
}

/** A record as the dashboard shows it: decoded where it can be, hex where it cannot. */
export interface BrowsedRecord {
  partition: number;
  offset: number;
  timestamp: string;
  key: { text: string } | { hex: string } | null;
  headers: Record<string, string>;
  size: number;
  value:
    | { decoded: true; encoding: string; schema: string; record: Record<string, unknown> }
    | { decoded: false; reason: string; message: string; hex: string; truncated: boolean }
    | null;
  /** For a dead-lettered record: why and from where. */
  deadLetter?: { reason: string; message: string; stage: string; original: { topic: string; partition: number; offset: number } | null; time: string | null };
}

/** What a read returns. */
export interface BrowseResult {
  topic: string;
  partition: number;
  low: number;
  high: number;
  start: number;
  complete: boolean;
  records: BrowsedRecord[];
}

/** Thrown for a topic the browser does not show. */
export class UnknownTopicError extends Error {}
/** Thrown when this orchestrator cannot read records (no Kafka transport). */
export class NoTopicReaderError extends Error {}

function printable(buffer: Buffer): string | undefined {
  const text = buffer.toString('utf8');
  // eslint-disable-next-line no-control-regex -- control characters mean "binary": show hex instead
  return Buffer.from(text, 'utf8').equals(buffer) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? text : undefined;
}

/**
 * The dashboard's topic browser: the last records of a partition of the
 * pipeline's topic or its DLQ, or from an offset or a time, decoded (Avro by
 * fingerprint, the reference JSON; Confluent values need a registry the
 * orchestrator does not have, so they show as hex with the schema id), with
 * key, headers and timestamp, and for dead letters the reason and origin.
 * It reads with TopicReader, never in the stream-processor's group.
 */
@Injectable()
export class TopicBrowser {
  private readonly codec = new UserCodec();

  constructor(
    private readonly settings: PipelineSettings,
    private readonly stats: PipelineStats,
  ) {}

  /** The topic and its DLQ, with their partitions' offsets. */
  async topics(): Promise<BrowsableTopic[]> {
    const names: Array<[string, BrowsableTopic['kind']]> = [
      [this.settings.topic, 'topic'],
      [`${this.settings.topic}.dlq`, 'dlq'],
    ];
    return Promise.all(
      names.map(async ([name, kind]) => {
        const exists = await this.stats.topicExists(name);
        const partitions = exists ? (await this.stats.topicOffsets(name)).map((o) => ({ partition: o.partition, low: o.low, high: o.high })) : [];
        return { name, kind, exists, partitions };
      }),
    );
  }

  /** Reads and decodes records of `topic` (one of {@link topics}). `reason` keeps only dead letters with that reason. */
  async read(topic: string, request: Omit<TopicReadRequest, 'topic'>, reason?: string): Promise<BrowseResult> {
    if (topic !== this.settings.topic && topic !== `${this.settings.topic}.dlq`)
      throw new UnknownTopicError(`the browser shows ${this.settings.topic} and ${this.settings.topic}.dlq only`);
    const reader = this.stats.topicReader();
    if (!reader) throw new NoTopicReaderError('this orchestrator cannot read records');
    const result = await reader.read({ topic, ...request });
    const records = result.records.map((r) => this.describe(r)).filter((r) => reason === undefined || r.deadLetter?.reason === reason);
    return { topic, partition: result.partition, low: result.low, high: result.high, start: result.start, complete: result.complete, records };
  }

  private describe(record: TopicRecord): BrowsedRecord {
    const h = record.headers;
    const out: BrowsedRecord = {
      partition: record.partition,
      offset: record.offset,
      timestamp: new Date(record.timestamp).toISOString(),
      key: record.key === null ? null : printable(record.key) !== undefined ? { text: printable(record.key) as string } : { hex: record.key.toString('hex') },
      headers: h,
      size: record.value?.length ?? 0,
      value: record.value === null ? null : this.decode(record.value),
    };
    if (h[DEAD_LETTER_HEADERS.errorCode] !== undefined) {
      const partition = Number(h[DEAD_LETTER_HEADERS.originalPartition]);
      const offset = Number(h[DEAD_LETTER_HEADERS.originalOffset]);
      const time = Number(h[DEAD_LETTER_HEADERS.time]);
      out.deadLetter = {
        reason: h[DEAD_LETTER_HEADERS.errorCode],
        message: h[DEAD_LETTER_HEADERS.errorMessage] ?? '',
        stage: h[DEAD_LETTER_HEADERS.stage] ?? '',
        original:
          h[DEAD_LETTER_HEADERS.originalTopic] && Number.isInteger(partition) && Number.isInteger(offset)
            ? { topic: h[DEAD_LETTER_HEADERS.originalTopic], partition, offset }
            : null,
        time: Number.isFinite(time) && time > 0 ? new Date(time).toISOString() : h[DEAD_LETTER_HEADERS.time] ? h[DEAD_LETTER_HEADERS.time] : null,
      };
    }
    return out;
  }

  private decode(value: Buffer): BrowsedRecord['value'] {
    const hex = () => ({ hex: value.subarray(0, HEX_BYTES).toString('hex'), truncated: value.length > HEX_BYTES });
    try {
      const decoded = this.codec.decode(value);
      const schema =
        decoded.encoding === 'json'
          ? 'reference JSON'
          : decoded.encoding === 'confluent'
            ? `registry id ${decoded.schemaId}`
            : `v${decoded.writerVersion} (fingerprint ${decoded.fingerprint})`;
      return { decoded: true, encoding: decoded.encoding, schema, record: decoded.record as unknown as Record<string, unknown> };
    } catch (error) {
      if (error instanceof UnknownSchemaIdError) {
        return {
          decoded: false,
          reason: 'registry-schema',
          message: `Confluent value with registry schema id ${error.schemaId}: the orchestrator has no Schema Registry to resolve it`,
          ...hex(),
        };
      }
      if (error instanceof DecodeError) return { decoded: false, reason: error.reason, message: error.message, ...hex() };
      return { decoded: false, reason: 'undecodable', message: error instanceof Error ? error.message : String(error), ...hex() };
    }
  }
}
