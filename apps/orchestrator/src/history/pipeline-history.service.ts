import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { componentLogger, describeError, type Logger } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { PipelineService, type PipelineSnapshot } from '../pipeline/pipeline.service';
import { SampleRing, type PipelineSample, type SampleColumns } from './sample-ring';

/** How often the pipeline is sampled and how many samples are kept. */
export class HistorySettings {
  constructor(
    /** Milliseconds between samples. Default 10 s. */
    readonly intervalMs = 10_000,
    /** Samples kept. Default 8640 (24 h at 10 s). */
    readonly capacity = 8640,
  ) {}
}

/** What the dashboard draws its first paint from: the newest snapshot and the samples of a window. */
export interface HistoryView {
  intervalMs: number;
  capacity: number;
  /** The newest full snapshot (at most one interval old), so panels fill at once. */
  latest: PipelineSnapshot | null;
  samples: SampleColumns;
}

interface Totals {
  atMs: number;
  end: number;
  committed: number | null;
}

/** Records/s between two samples from the topic's end offsets and the group's commits; null across a reset. */
function rate(now: Totals, before: Totals | undefined, key: 'end' | 'committed'): number | null {
  if (!before || now.atMs <= before.atMs) return null;
  const a = before[key];
  const b = now[key];
  if (a === null || b === null || b < a) return null;
  return Math.round(((b - a) * 1000 * 10) / (now.atMs - before.atMs)) / 10;
}

/**
 * The dashboard's memory: samples the pipeline (produced and committed
 * records/s, lag, DLQ depth, rows, records on the topic) every 10 s
 * (ORCHESTRATOR_HISTORY_INTERVAL_MS) into a ring of 8640 samples (24 h at
 * 10 s), kept in the orchestrator's memory. It also keeps the newest
 * snapshot, so a dashboard opened (or reloaded) draws at once.
 */
@Injectable()
export class PipelineHistory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ring: SampleRing;
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private latestSnapshot?: PipelineSnapshot;
  private previous?: Totals;
  private sampling?: Promise<void>;

  constructor(
    private readonly pipeline: PipelineService,
    private readonly settings: HistorySettings,
    context: OrchestratorContext,
  ) {
    this.ring = new SampleRing(settings.capacity);
    this.logger = componentLogger(context.logger, 'history');
  }

  onApplicationBootstrap(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.settings.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Takes one sample now (one at a time). */
  sample(): Promise<void> {
    this.sampling ??= this.pipeline
      .snapshot()
      .then((snapshot) => this.record(snapshot))
      .catch((error: unknown) => this.logger.debug({ err: describeError(error) }, 'pipeline sample failed'))
      .finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  /** Adds a snapshot to the history. */
  record(snapshot: PipelineSnapshot): void {
    this.latestSnapshot = snapshot;
    const atMs = Date.parse(snapshot.at);
    const topic = snapshot.kafka.topic;
    const known = snapshot.kafka.ok && topic.exists;
    const committed = known && topic.partitions.some((p) => p.committed !== null) ? topic.partitions.reduce((s, p) => s + (p.committed ?? 0), 0) : null;
    const totals: Totals | undefined = known ? { atMs, end: topic.endTotal, committed } : undefined;
    const sample: PipelineSample = {
      t: atMs,
      inPerSec: totals ? rate(totals, this.previous, 'end') : null,
      outPerSec: totals ? rate(totals, this.previous, 'committed') : null,
      lag: known ? topic.lagTotal : null,
      dlq: snapshot.kafka.ok ? snapshot.kafka.dlq.depth : null,
      rows: snapshot.table.rows,
      produced: known ? topic.endTotal : null,
    };
    this.previous = totals;
    this.ring.push(sample);
  }

  /** The samples of the last `seconds` and the newest snapshot. */
  view(seconds: number): HistoryView {
    return {
      intervalMs: this.settings.intervalMs,
      capacity: this.settings.capacity,
      latest: this.latestSnapshot ?? null,
      samples: this.ring.since(Date.now() - seconds * 1000),
    };
  }
}
