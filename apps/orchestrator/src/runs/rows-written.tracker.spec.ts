import type { SchedulerRegistry } from '@nestjs/schedule';
import { Registry } from 'prom-client';
import { silentLogger, TypedEmitter } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { OrchestratorMetrics } from '../app/orchestrator.metrics';
import { PipelineStats, type GroupPosition, type PartitionOffsets } from '../pipeline/pipeline.stats';
import type { SchedulerEvents, SchedulerService } from '../scheduler/scheduler.service';
import { InMemoryRunStore } from '../../test/support/run-store.memory';
import type { RunRecord } from './run.model';
import { RowsWrittenSettings, RowsWrittenTracker } from './rows-written.tracker';

class FakeStats extends PipelineStats {
  committed = new Map<number, number>();
  calls = 0;
  async topicExists() {
    return true;
  }
  async topicOffsets(): Promise<PartitionOffsets[]> {
    return [];
  }
  async groupPosition(groupId: string, topic: string): Promise<GroupPosition> {
    this.calls++;
    expect([groupId, topic]).toEqual(['userstream-stream-processor', 'users_created']);
    const partitions = [...this.committed].map(([partition, committed]) => ({ partition, committed, end: 1000, lag: 1000 - committed }));
    return { partitions, total: partitions.reduce((s, p) => s + p.lag, 0) };
  }
  async close() {
    // nothing to close
  }
}

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  id: 'run-1',
  job: 'user_data_kafka_stream',
  trigger: 'manual',
  state: 'success',
  tryNumber: 1,
  maxTries: 3,
  params: {},
  queuedAt: new Date(Date.now() - 70_000).toISOString(),
  endedAt: new Date().toISOString(),
  counts: { pagesFetched: 1, fetched: 30, valid: 30, invalid: 0, produced: 30, acknowledged: 30 },
  offsets: {
    topic: 'users_created',
    partitions: [
      { partition: 0, first: 100, last: 114 },
      { partition: 1, first: 200, last: 214 },
    ],
  },
  rowsWritten: { state: 'pending', value: null },
  tries: [],
  ...over,
});

describe('RowsWrittenTracker', () => {
  let store: InMemoryRunStore;
  let stats: FakeStats;
  let tracker: RowsWrittenTracker;

  beforeEach(() => {
    store = new InMemoryRunStore();
    stats = new FakeStats();
    const scheduler = { events: new TypedEmitter<SchedulerEvents>() } as unknown as SchedulerService;
    tracker = new RowsWrittenTracker(
      store,
      stats,
      scheduler,
      {} as SchedulerRegistry,
      new RowsWrittenSettings('userstream-stream-processor', 60_000),
      new OrchestratorContext(silentLogger, new OrchestratorMetrics(new Registry())),
    );
  });

  it('stays pending until the group has committed past the last offset on every partition, then rows written = acknowledged', async () => {
    const r = run();
    await store.saveRun(r);
    tracker.track(r);

    stats.committed = new Map([
      [0, 115],
      [1, 214], // offset 214 itself is not yet handled: committed is the next offset to read
    ]);
    await tracker.check();
    expect((await store.getRun('run-1'))?.rowsWritten.state).toBe('pending');

    stats.committed.set(1, 215);
    await tracker.check();
    expect((await store.getRun('run-1'))?.rowsWritten).toEqual({ state: 'known', value: 30 });

    // Decided runs are not checked again.
    const calls = stats.calls;
    await tracker.check();
    expect(stats.calls).toBe(calls);
  });

  it('gives up with "unknown" after the confirmation window', async () => {
    const r = run({ endedAt: new Date(Date.now() - 61_000).toISOString() });
    await store.saveRun(r);
    tracker.track(r);
    await tracker.check();
    const saved = await store.getRun('run-1');
    expect(saved?.rowsWritten.state).toBe('unknown');
    expect(saved?.rowsWritten.reason).toContain('had not committed past the run');
  });

  it('ignores runs that are not pending', async () => {
    tracker.track(run({ state: 'failed' }));
    tracker.track(run({ id: 'run-2', rowsWritten: { state: 'known', value: 0 } }));
    await tracker.check();
    expect(stats.calls).toBe(0);
  });
});
