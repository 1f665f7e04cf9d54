import { Injectable } from '@nestjs/common';
import { describeError, httpRetry } from '@userstream/core';
import got, { type Got } from 'got';
import { joinUrl } from '../ingest/ingest.client';
import { RunStore } from '../runs/run.store';
import { PipelineStats } from './pipeline.stats';
import { sumPrometheusSamples } from './prometheus.text';
import { TableRowCounter, type TableRowCount } from './table-row.counter';

/** Where the pipeline's parts are. */
export class PipelineSettings {
  constructor(
    readonly topic: string,
    /** The stream-processor's consumer group. */
    readonly groupId: string,
    readonly ingestUrl: string,
    readonly processorUrl: string,
    /** Bound on each health or metrics request, in milliseconds. */
    readonly httpTimeoutMs: number,
    /** How long a snapshot is reused (several dashboards share it), in milliseconds. */
    readonly snapshotCacheMs = 1000,
    /** Sent with every request to ingest and the stream-processor (their SERVICE_TOKEN). */
    readonly appHeaders: Record<string, string> = {},
  ) {}
}

/** One partition of the topic with the processor group's progress on it. */
export interface TopicPartitionView {
  partition: number;
  /** Next offset to be written (end offset). */
  endOffset: number;
  /** Next offset the group will read; null when it committed nothing yet. */
  committed: number | null;
  /** Records not yet committed by the group. */
  lag: number;
}

/** The health of one part of the pipeline. */
export interface ComponentHealth {
  ok: boolean;
  url?: string;
  error?: string;
  /** The app's own /health/ready report, when it answered. */
  report?: unknown;
}

/** Everything the dashboard's pipeline panel shows, taken at one moment. */
export interface PipelineSnapshot {
  at: string;
  kafka: {
    ok: boolean;
    error?: string;
    topic: { name: string; exists: boolean; partitions: TopicPartitionView[]; endTotal: number; lagTotal: number };
    groupId: string;
    dlq: { name: string; exists: boolean; depth: number; partitions: Array<{ partition: number; endOffset: number }> };
  };
  /** Records per second since the previous snapshot: produced to the topic (in) and committed by the processor group (out). */
  rates: { inPerSec: number | null; outPerSec: number | null; windowSeconds: number | null };
  table: TableRowCount;
  apps: {
    orchestrator: ComponentHealth;
    ingest: ComponentHealth;
    processor: ComponentHealth & { metrics?: { recordsWritten?: number; recordsDeadLettered?: number; consumerLag?: number } };
  };
}

interface Sample {
  atMs: number;
  /** Per partition: end offset and committed offset (absent when none). */
  partitions: Map<number, { end: number; committed?: number }>;
}

/** Records per second between two samples, over the partitions both know; null when offsets went back (topic recreated). */
function ratesBetween(prev: Sample, next: Sample): PipelineSnapshot['rates'] {
  const seconds = (next.atMs - prev.atMs) / 1000;
  let produced = 0;
  let committed = 0;
  let committing = false;
  for (const [partition, now] of next.partitions) {
    const before = prev.partitions.get(partition);
    if (!before) continue;
    produced += now.end - before.end;
    if (now.committed !== undefined && before.committed !== undefined) {
      committed += now.committed - before.committed;
      committing = true;
    }
  }
  const rate = (delta: number) => (delta >= 0 ? Math.round((delta / seconds) * 10) / 10 : null);
  // No partition with a commit in both samples: the group is not consuming, which is not "0 records/s".
  return { inPerSec: rate(produced), outPerSec: committing ? rate(committed) : null, windowSeconds: seconds };
}

/**
 * Gathers the pipeline's health for the dashboard: topic end offsets and
 * consumer-group lag per partition, the DLQ depth, records/s in and out,
 * the Cassandra table's row count and each app's readiness. Snapshots are
 * cached briefly and built once at a time, so many open dashboards cost the
 * same as one.
 */
@Injectable()
export class PipelineService {
  private previous?: Sample;
  private cached?: PipelineSnapshot;
  private building?: Promise<PipelineSnapshot>;
  private readonly http: Got;

  constructor(
    private readonly settings: PipelineSettings,
    private readonly stats: PipelineStats,
    private readonly rows: TableRowCounter,
    private readonly store: RunStore,
  ) {
    // One try per snapshot: the dashboard asks again within seconds, and a down app should show as down at once.
    this.http = got.extend({
      headers: settings.appHeaders,
      timeout: { request: settings.httpTimeoutMs },
      retry: httpRetry({ maxAttempts: 1 }),
      throwHttpErrors: false,
      responseType: 'text',
    });
  }

  async snapshot(): Promise<PipelineSnapshot> {
    if (this.cached && Date.now() - Date.parse(this.cached.at) < this.settings.snapshotCacheMs) return this.cached;
    this.building ??= this.build().finally(() => (this.building = undefined));
    this.cached = await this.building;
    return this.cached;
  }

  private async build(): Promise<PipelineSnapshot> {
    const [kafka, table, orchestrator, ingest, processor] = await Promise.all([
      this.kafka(),
      this.rows.count(),
      this.store.ping().then(
        () => ({ ok: true }),
        (error: unknown) => ({ ok: false, error: `Cassandra: ${describeError(error)}` }),
      ),
      this.probe(this.settings.ingestUrl),
      this.processor(),
    ]);
    const now = Date.now();
    let rates: PipelineSnapshot['rates'] = { inPerSec: null, outPerSec: null, windowSeconds: null };
    if (kafka.ok && kafka.topic.exists) {
      const sample: Sample = {
        atMs: now,
        partitions: new Map(
          kafka.topic.partitions.map((p) => [p.partition, { end: p.endOffset, ...(p.committed !== null ? { committed: p.committed } : {}) }]),
        ),
      };
      if (this.previous && now > this.previous.atMs) rates = ratesBetween(this.previous, sample);
      this.previous = sample;
    }
    return { at: new Date(now).toISOString(), kafka, rates, table, apps: { orchestrator, ingest, processor } };
  }

  private async kafka(): Promise<PipelineSnapshot['kafka']> {
    const { topic, groupId } = this.settings;
    const dlqName = `${topic}.dlq`;
    const empty: PipelineSnapshot['kafka'] = {
      ok: false,
      groupId,
      topic: { name: topic, exists: false, partitions: [], endTotal: 0, lagTotal: 0 },
      dlq: { name: dlqName, exists: false, depth: 0, partitions: [] },
    };
    try {
      const [topicExists, dlqExists] = await Promise.all([this.stats.topicExists(topic), this.stats.topicExists(dlqName)]);
      const out: PipelineSnapshot['kafka'] = { ...empty, ok: true };
      if (topicExists) {
        const position = await this.stats.groupPosition(groupId, topic);
        const partitions = position.partitions.map((p) => ({ partition: p.partition, endOffset: p.end, committed: p.committed, lag: p.lag }));
        out.topic = { name: topic, exists: true, partitions, endTotal: partitions.reduce((s, p) => s + p.endOffset, 0), lagTotal: position.total };
      }
      if (dlqExists) {
        const offsets = await this.stats.topicOffsets(dlqName);
        out.dlq = {
          name: dlqName,
          exists: true,
          depth: offsets.reduce((s, o) => s + o.high, 0),
          partitions: offsets.map((o) => ({ partition: o.partition, endOffset: o.high })),
        };
      }
      return out;
    } catch (error) {
      return { ...empty, error: describeError(error) };
    }
  }

  private async probe(base: string): Promise<ComponentHealth> {
    try {
      const res = await this.http(joinUrl(base, '/health/ready'));
      let report: unknown;
      try {
        report = JSON.parse(res.body);
      } catch {
        report = undefined;
      }
      return res.ok ? { ok: true, url: base, report } : { ok: false, url: base, report, error: `HTTP ${res.statusCode}` };
    } catch (error) {
      return { ok: false, url: base, error: describeError((error as { cause?: unknown }).cause ?? error) };
    }
  }

  private async processor(): Promise<PipelineSnapshot['apps']['processor']> {
    const health = await this.probe(this.settings.processorUrl);
    if (!health.ok && !health.report) return health;
    try {
      const res = await this.http(joinUrl(this.settings.processorUrl, '/metrics'));
      if (!res.ok) return health;
      const sums = sumPrometheusSamples(res.body);
      return {
        ...health,
        metrics: {
          recordsWritten: sums['userstream_processor_records_written_total'],
          recordsDeadLettered: sums['userstream_processor_records_dead_lettered_total'],
          consumerLag: sums['userstream_processor_consumer_lag'],
        },
      };
    } catch {
      return health;
    }
  }
}
