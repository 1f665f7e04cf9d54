// Unit tests of the pipelined mode's bookkeeping: batches in flight, the
// commit walk across them in fetch order, and what a failure or a rejoin does.
import { PartitionPipeline } from './consumer.pipeline';
import { PartitionProgress, type CommitPoint } from './partition-progress';

/** A promise with its resolve and reject outside. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise reactions run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

const offsets = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));

function setup(depth = 2, commitResult: () => { ok: true } | { ok: false; error: unknown } = () => ({ ok: true }), maxRecords = 1000) {
  const progress = new PartitionProgress('t', 0);
  const commits: Array<{ context: string; offset: string }> = [];
  const seeks: string[] = [];
  const retries: unknown[] = [];
  const pipeline = new PartitionPipeline<string>({
    depth,
    maxRecords,
    progress,
    commit: async (context: string, point: CommitPoint) => {
      const result = commitResult();
      if (result.ok) {
        commits.push({ context, offset: point.offset });
        progress.committed(point.offset);
      }
      return result;
    },
    seek: (offset) => void seeks.push(offset),
    retry: (error) => void retries.push(error),
  });
  /** Admits a batch whose run marks its offsets done when `finish` resolves, then settles. */
  const admit = (from: number, to: number, context = `b${from}`) => {
    const gate = deferred();
    const ran = deferred();
    pipeline.admit(offsets(from, to), String(to - 1), context, async (epoch) => {
      try {
        await gate.promise;
        for (const o of offsets(from, to)) progress.markDone(o);
        await pipeline.settle(epoch);
      } finally {
        ran.resolve();
      }
    });
    return { finish: gate.resolve, fail: gate.reject, ran: ran.promise };
  };
  return { pipeline, progress, commits, seeks, retries, admit };
}

describe('PartitionPipeline', () => {
  it('commits across batches in fetch order: a later batch done first waits for the earlier one', async () => {
    const { admit, commits, pipeline } = setup();
    const a = admit(0, 3);
    const b = admit(3, 5);
    expect(pipeline.inFlight).toBe(2);
    b.finish();
    await b.ran;
    expect(commits).toEqual([]);
    a.finish();
    await a.ran;
    await pipeline.idle();
    // One walk covers both batches, committed with the newest batch's context.
    expect(commits.map((c) => c.offset)).toEqual(['5']);
    expect(commits[0].context).toBe('b3');
    expect(pipeline.inFlight).toBe(0);
  });

  it('room() waits while `depth` batches are in flight', async () => {
    const { admit, pipeline } = setup(2);
    const a = admit(0, 1);
    admit(1, 2).finish();
    let roomy = false;
    const waiting = pipeline.room(1).then(() => {
      roomy = true;
    });
    await flush();
    // The second one finished: one in flight, room for another.
    expect(roomy).toBe(true);
    await waiting;
    admit(2, 3);
    let roomAgain = false;
    const next = pipeline.room(1).then(() => {
      roomAgain = true;
    });
    await flush();
    expect(roomAgain).toBe(false);
    a.finish();
    await next;
    expect(roomAgain).toBe(true);
  });

  it('room() also waits until the batch fits within `maxRecords` records in flight; a batch alone always fits', async () => {
    const { admit, pipeline } = setup(8, undefined, 10);
    // Nothing in flight: a batch larger than maxRecords goes.
    await pipeline.room(25);
    const big = admit(0, 25);
    expect(pipeline.recordsInFlight).toBe(25);
    let roomy = false;
    const waiting = pipeline.room(1).then(() => {
      roomy = true;
    });
    await flush();
    expect(roomy).toBe(false);
    big.finish();
    await waiting;
    expect(pipeline.recordsInFlight).toBe(0);
    const a = admit(25, 30);
    admit(30, 34);
    // 9 in flight: one more record fits, two do not.
    await pipeline.room(1);
    let twoFit = false;
    const two = pipeline.room(2).then(() => {
      twoFit = true;
    });
    await flush();
    expect(twoFit).toBe(false);
    a.finish();
    await two;
    expect(pipeline.recordsInFlight).toBe(4);
  });

  it('a failure commits nothing past the undone record, sends kafkajs back to the first record not committed, and retries once', async () => {
    const { admit, pipeline, commits, seeks, retries, progress } = setup(3);
    const a = admit(0, 2);
    const b = admit(2, 4);
    const c = admit(4, 6);
    a.finish();
    await a.ran;
    expect(commits.map((x) => x.offset)).toEqual(['2']);
    // b fails, c wrote its records: the commit stays at 2 and kafkajs reads from 2 again.
    const epoch = pipeline.epoch;
    b.fail(new Error('write timed out'));
    await b.ran;
    await flush();
    expect(pipeline.epoch).toBe(epoch + 1);
    expect(seeks).toEqual(['2']);
    expect(retries).toHaveLength(1);
    c.finish();
    await c.ran;
    // c belongs to the ended epoch: no commit, no second retry; its records stay marked done.
    expect(commits.map((x) => x.offset)).toEqual(['2']);
    expect(retries).toHaveLength(1);
    expect(progress.isDone('4')).toBe(true);
    // The redelivery from 2 starts a new epoch; what c wrote is already done and committed with it.
    const again = admit(2, 6, 'again');
    again.finish();
    await again.ran;
    expect(commits.map((x) => x.offset)).toEqual(['2', '6']);
  });

  it('a failed commit fails the epoch and sends kafkajs back to the last committed offset', async () => {
    let allow = 1;
    const { admit, pipeline, commits, seeks, retries } = setup(2, () => (allow-- > 0 ? { ok: true } : { ok: false, error: new Error('coordinator gone') }));
    const a = admit(0, 2);
    a.finish();
    await a.ran;
    const b = admit(2, 4);
    b.finish();
    await b.ran;
    await pipeline.idle();
    expect(commits.map((x) => x.offset)).toEqual(['2']);
    expect(seeks).toEqual(['2']);
    expect(retries).toEqual([new Error('coordinator gone')]);
  });

  it('after reset() (the group joined again) a batch of the old epoch neither commits nor fails anything', async () => {
    const { admit, pipeline, commits, seeks, retries } = setup(2);
    const a = admit(0, 2);
    pipeline.reset();
    a.finish();
    await a.ran;
    expect(commits).toEqual([]);
    const b = admit(0, 2);
    b.fail(new Error('late'));
    await b.ran;
    await pipeline.idle();
    // The failure of the new epoch goes back to its own first record.
    expect(seeks).toEqual(['0']);
    expect(retries).toHaveLength(1);
  });
});
