import type { Logger } from '@userstream/core';
import type { OrchestratorContext } from '../app/orchestrator.context';
import type { PipelineService, PipelineSnapshot } from '../pipeline/pipeline.service';
import { HistorySettings, PipelineHistory } from './pipeline-history.service';

const silent: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

function snapshot(
  atMs: number,
  ends: number[],
  committed: Array<number | null>,
  extra: { dlq?: number; rows?: number | null; ok?: boolean } = {},
): PipelineSnapshot {
  const partitions = ends.map((end, partition) => ({ partition, endOffset: end, committed: committed[partition], lag: end - (committed[partition] ?? 0) }));
  return {
    at: new Date(atMs).toISOString(),
    kafka: {
      ok: extra.ok ?? true,
      groupId: 'g',
      topic: { name: 't', exists: true, partitions, endTotal: ends.reduce((a, b) => a + b, 0), lagTotal: partitions.reduce((s, p) => s + p.lag, 0) },
      dlq: { name: 't.dlq', exists: true, depth: extra.dlq ?? 0, partitions: [] },
    },
    rates: { inPerSec: null, outPerSec: null, windowSeconds: null },
    table: { table: 'users', rows: extra.rows === undefined ? 0 : extra.rows, kind: 'exact', at: new Date(atMs).toISOString() },
    apps: { orchestrator: { ok: true }, ingest: { ok: true }, processor: { ok: true } },
  } as PipelineSnapshot;
}

describe('PipelineHistory', () => {
  const context = { logger: silent } as unknown as OrchestratorContext;

  it('records records/s in and out between samples from end offsets and commits, lag, DLQ and rows', () => {
    const history = new PipelineHistory({ snapshot: jest.fn() } as unknown as PipelineService, new HistorySettings(10_000, 100), context);
    const now = Date.now();
    history.record(snapshot(now - 30_000, [0, 0], [null, null]));
    history.record(snapshot(now - 20_000, [500, 500], [null, null]));
    history.record(snapshot(now - 10_000, [1000, 1500], [400, 600], { dlq: 2, rows: 990 }));
    history.record(snapshot(now, [10, 0], [0, 0], { rows: null })); // topic recreated: no rate, not a negative one
    const view = history.view(3600);
    expect(view.samples).toEqual({
      t: [now - 30_000, now - 20_000, now - 10_000, now],
      inPerSec: [null, 100, 150, null],
      outPerSec: [null, null, null, null],
      lag: [0, 1000, 1500, 10],
      dlq: [0, 0, 2, 0],
      rows: [0, 0, 990, null],
      produced: [0, 1000, 2500, 10],
    });
    expect(view.latest?.at).toBe(new Date(now).toISOString());
    expect(history.view(15).samples.t).toEqual([now - 10_000, now]);
  });

  it('computes out records/s once the group committed in both samples, and samples every interval until shut down', async () => {
    jest.useFakeTimers();
    try {
      let n = 0;
      const pipeline = { snapshot: jest.fn(async () => snapshot(Date.now(), [100 * n, 0], [50 * n++, 0])) } as unknown as PipelineService;
      const history = new PipelineHistory(pipeline, new HistorySettings(10_000, 100), context);
      history.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(30_000);
      history.onApplicationShutdown();
      await jest.advanceTimersByTimeAsync(30_000);
      expect(pipeline.snapshot).toHaveBeenCalledTimes(4);
      const { samples } = history.view(3600);
      expect(samples.inPerSec).toEqual([null, 10, 10, 10]);
      expect(samples.outPerSec).toEqual([null, 5, 5, 5]);
    } finally {
      jest.useRealTimers();
    }
  });
});
