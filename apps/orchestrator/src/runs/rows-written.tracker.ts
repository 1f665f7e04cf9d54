import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { componentLogger, describeError, type Logger } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { PipelineStats } from '../pipeline/pipeline.stats';
import { SchedulerService } from '../scheduler/scheduler.service';
import type { RowsWritten, RunRecord } from './run.model';
import { RunStore } from './run.store';

/** How rows written are confirmed. */
export class RowsWrittenSettings {
  constructor(
    /** The stream-processor's consumer group. */
    readonly groupId: string,
    /** How long after a run ends to wait for the processor, in milliseconds; after it, rows written is "unknown". */
    readonly confirmWindowMs: number,
    /** Time between checks, in milliseconds. */
    readonly checkIntervalMs = 5000,
  ) {}
}

/**
 * Decides how many rows a successful run put in Cassandra. The
 * stream-processor commits an offset only after every record before it is
 * written (or dead-lettered), so once its consumer group has committed past
 * the run's last offset on every partition the run produced to, all of the
 * run's acknowledged records have been handled: rows written = acknowledged.
 * Until then the run shows `pending`; past the confirmation window,
 * `unknown`.
 */
@Injectable()
export class RowsWrittenTracker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pending = new Map<string, RunRecord>();
  private readonly logger: Logger;
  private checking?: Promise<void>;
  private unsubscribe?: () => void;

  constructor(
    private readonly store: RunStore,
    private readonly stats: PipelineStats,
    private readonly scheduler: SchedulerService,
    private readonly registry: SchedulerRegistry,
    private readonly settings: RowsWrittenSettings,
    context: OrchestratorContext,
  ) {
    this.logger = componentLogger(context.logger, 'rows-written');
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.scheduler.events.on('run.finished', ({ run }) => {
      this.track(run);
      void this.check();
    });
    // Runs that were still pending when the previous process stopped.
    try {
      const recent = await this.store.listRuns({ limit: 50 });
      for (const run of recent.runs) this.track(run);
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'could not load runs waiting for their rows');
    }
    this.registry.addInterval(
      'rows-written',
      setInterval(() => void this.check(), this.settings.checkIntervalMs),
    );
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    if (this.registry.doesExist('interval', 'rows-written')) this.registry.deleteInterval('rows-written');
  }

  /** Starts watching a run whose rows written are pending. */
  track(run: RunRecord): void {
    if (run.state === 'success' && run.rowsWritten.state === 'pending') this.pending.set(run.id, run);
  }

  /** Checks every pending run once; runs one check at a time. */
  check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    if (this.pending.size === 0) return;
    const committedByTopic = new Map<string, Map<number, number>>();
    for (const run of [...this.pending.values()]) {
      const decided = await this.decide(run, committedByTopic);
      if (!decided) continue;
      this.pending.delete(run.id);
      try {
        // Read the run again: only the rows written change here.
        const fresh = (await this.store.getRun(run.id)) ?? run;
        fresh.rowsWritten = decided;
        await this.store.saveRun(fresh);
        this.logger.info({ runId: run.id, rowsWritten: decided }, 'rows written decided');
      } catch (error) {
        this.pending.set(run.id, run);
        this.logger.warn({ runId: run.id, err: describeError(error) }, 'could not save rows written');
      }
    }
  }

  private async decide(run: RunRecord, cache: Map<string, Map<number, number>>): Promise<RowsWritten | undefined> {
    const offsets = run.offsets;
    const acknowledged = run.counts?.acknowledged ?? 0;
    if (!offsets) return { state: 'unknown', value: null, reason: 'ingest reported no offsets for the run' };
    let committed = cache.get(offsets.topic);
    if (!committed) {
      try {
        const position = await this.stats.groupPosition(this.settings.groupId, offsets.topic);
        committed = new Map(position.partitions.map((p) => [p.partition, p.committed ?? -1]));
        cache.set(offsets.topic, committed);
      } catch (error) {
        this.logger.debug({ err: describeError(error) }, 'could not read committed offsets');
        return this.expired(run);
      }
    }
    const done = offsets.partitions.every((p) => (committed.get(p.partition) ?? -1) > p.last);
    if (done) return { state: 'known', value: acknowledged };
    return this.expired(run);
  }

  private expired(run: RunRecord): RowsWritten | undefined {
    const endedAt = Date.parse(run.endedAt ?? '');
    if (Number.isFinite(endedAt) && Date.now() - endedAt > this.settings.confirmWindowMs) {
      return {
        state: 'unknown',
        value: null,
        reason: `group ${this.settings.groupId} had not committed past the run's offsets ${Math.round(this.settings.confirmWindowMs / 1000)} s after it ended`,
      };
    }
    return undefined;
  }
}
