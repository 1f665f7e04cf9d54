import { FakeIngest } from '../../test/support/fake-ingest.server';
import { InMemoryRunStore } from '../../test/support/run-store.memory';
import { PipelineService, PipelineSettings } from './pipeline.service';
import { PipelineStats, type GroupPosition, type PartitionOffsets } from './pipeline.stats';
import type { TableRowCounter } from './table-row.counter';

/** Kafka as a few maps; lag computed the way the kafka lib does. */
class FakeStats extends PipelineStats {
  existing = new Set(['users_created', 'users_created.dlq']);
  offsets: Record<string, PartitionOffsets[]> = {};
  committed = new Map<number, number>();
  async topicExists(topic: string) {
    return this.existing.has(topic);
  }
  async topicOffsets(topic: string) {
    return this.offsets[topic] ?? [];
  }
  async groupPosition(_groupId: string, topic: string): Promise<GroupPosition> {
    const partitions = (this.offsets[topic] ?? []).map(({ partition, low, high }) => {
      const c = this.committed.get(partition);
      const committed = c === undefined || c < 0 ? null : c;
      return { partition, committed, end: high, lag: committed === null ? high - low : high - committed };
    });
    return { partitions, total: partitions.reduce((s, p) => s + p.lag, 0) };
  }
  async close() {
    // nothing to close
  }
}

describe('PipelineService', () => {
  const ingest = new FakeIngest();
  beforeAll(() => ingest.start());
  afterAll(() => ingest.close());

  function service(stats: FakeStats) {
    const rows = {
      count: async () => ({ table: 'spark_streams.users_created', rows: 42, kind: 'exact' as const, at: new Date().toISOString() }),
    } as unknown as TableRowCounter;
    // Nothing listens on port 9: the processor shows as down.
    return new PipelineService(
      new PipelineSettings('users_created', 'userstream-stream-processor', ingest.url, 'http://127.0.0.1:9', 500, 0),
      stats,
      rows,
      new InMemoryRunStore(),
    );
  }

  it('reports end offsets, lag per partition, DLQ depth, rows and app health, and rates between snapshots', async () => {
    const stats = new FakeStats();
    stats.offsets['users_created'] = [
      { partition: 0, low: 0, high: 100 },
      { partition: 1, low: 0, high: 80 },
    ];
    stats.offsets['users_created.dlq'] = [{ partition: 0, low: 0, high: 3 }];
    stats.committed = new Map([
      [0, 90],
      [1, -1],
    ]);
    const pipeline = service(stats);
    const first = await pipeline.snapshot();
    expect(first.kafka).toEqual({
      ok: true,
      groupId: 'userstream-stream-processor',
      topic: {
        name: 'users_created',
        exists: true,
        partitions: [
          { partition: 0, endOffset: 100, committed: 90, lag: 10 },
          { partition: 1, endOffset: 80, committed: null, lag: 80 },
        ],
        endTotal: 180,
        lagTotal: 90,
      },
      dlq: { name: 'users_created.dlq', exists: true, depth: 3, partitions: [{ partition: 0, endOffset: 3 }] },
    });
    expect(first.rates).toEqual({ inPerSec: null, outPerSec: null, windowSeconds: null });
    expect(first.table.rows).toBe(42);
    expect(first.apps.ingest).toMatchObject({ ok: true, url: ingest.url });
    expect(first.apps.processor.ok).toBe(false);
    expect(first.apps.orchestrator.ok).toBe(true);

    await new Promise((r) => setTimeout(r, 200));
    stats.offsets['users_created'] = [
      { partition: 0, low: 0, high: 140 },
      { partition: 1, low: 0, high: 120 },
    ];
    stats.committed = new Map([
      [0, 130],
      [1, 50], // first commit on partition 1: not counted as throughput
    ]);
    const second = await pipeline.snapshot();
    const seconds = second.rates.windowSeconds ?? 0;
    expect(seconds).toBeGreaterThan(0.15);
    expect(second.rates.inPerSec).toBeCloseTo(80 / seconds, 0);
    expect(second.rates.outPerSec).toBeCloseTo(40 / seconds, 0);
  });

  it('reports no rate out while the group has committed nothing', async () => {
    const stats = new FakeStats();
    stats.offsets['users_created'] = [{ partition: 0, low: 0, high: 10 }];
    const pipeline = service(stats);
    await pipeline.snapshot();
    stats.offsets['users_created'] = [{ partition: 0, low: 0, high: 30 }];
    await new Promise((r) => setTimeout(r, 50));
    const p = await pipeline.snapshot();
    expect(p.rates.inPerSec).toBeGreaterThan(0);
    expect(p.rates.outPerSec).toBeNull();
  });

  it('reports a missing topic and a Kafka outage without failing', async () => {
    const stats = new FakeStats();
    stats.existing = new Set();
    const absent = await service(stats).snapshot();
    expect(absent.kafka).toMatchObject({ ok: true, topic: { exists: false, partitions: [] }, dlq: { exists: false, depth: 0 } });

    stats.topicExists = async () => Promise.reject(new Error('connection refused'));
    const down = await service(stats).snapshot();
    expect(down.kafka).toMatchObject({ ok: false, error: 'connection refused' });
  });
});
