import type { CommitPoint, PartitionProgress } from './partition-progress';

/** What a {@link PartitionPipeline} needs from the consumer runner. */
export interface PartitionPipelineDeps<C> {
  /** Most batches of the partition handled at once. */
  depth: number;
  /** Most records in the batches handled at once; one batch alone may hold more. */
  maxRecords: number;
  progress: PartitionProgress;
  /** Commits `point.offset` with the context of the batch given to {@link PartitionPipeline.admit}. */
  commit(context: C, point: CommitPoint): Promise<{ ok: true } | { ok: false; error: unknown }>;
  /** Makes kafkajs fetch the partition from `offset` again; the batches it fetched before turn stale. */
  seek(offset: string): void;
  /** Pauses the partition for a backoff and counts the failure. */
  retry(error: unknown): void;
}

/** A fetched batch in the pipeline: its record offsets, and how far the commit has walked into it. */
interface Entry {
  readonly offsets: readonly string[];
  readonly lastOffset: string;
  index: number;
}

/**
 * The pipelined mode of one partition in a consumer runner, without kafkajs:
 * up to `depth` fetched batches are handled at once while kafkajs fetches the
 * next, and the offset commit walks the batches in fetch order, so it still
 * moves only over a contiguous prefix of done records.
 *
 * An epoch is one unbroken run of batches. A failure ends it: the walk's
 * batches are dropped, kafkajs is sent back to the first record not
 * committed, and the partition waits for its backoff. Batches still running
 * from an ended epoch finish their current chunk, mark what they wrote done
 * (so the redelivery skips it) and neither commit nor fail.
 */
export class PartitionPipeline<C> {
  private epochValue = 0;
  private entries: Entry[] = [];
  private readonly running = new Set<Promise<void>>();
  private records = 0;
  /** The next record to read once the walk's commits are in: where a failure sends kafkajs back to. */
  private resumeAt?: string;
  /** The context of the newest batch: commits go through it. */
  private context?: C;
  private committing?: Promise<void>;
  private walkAgain = false;

  constructor(private readonly deps: PartitionPipelineDeps<C>) {}

  /** The current epoch; a batch belongs to the epoch it was admitted in. */
  get epoch(): number {
    return this.epochValue;
  }

  /** Batches being handled now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Records in the batches being handled now. */
  get recordsInFlight(): number {
    return this.records;
  }

  /**
   * Resolves once a batch of `records` records fits: fewer than `depth`
   * batches are being handled, and with this one they hold at most
   * `maxRecords` records (a batch alone always fits). Under load a partition
   * thus writes one large batch at a time; a trickle of small ones goes side
   * by side.
   */
  async room(records: number): Promise<void> {
    while (this.running.size > 0 && (this.running.size >= this.deps.depth || this.records + records > this.deps.maxRecords)) {
      await Promise.race(this.running);
    }
  }

  /**
   * Takes a fetched batch (non-empty, offsets in order) into the current
   * epoch and returns that epoch. `run` handles it; the pipeline tracks it.
   */
  admit(offsets: readonly string[], lastOffset: string, context: C, run: (epoch: number) => Promise<void>): number {
    const epoch = this.epochValue;
    this.resumeAt ??= offsets[0];
    this.entries.push({ offsets, lastOffset, index: 0 });
    this.context = context;
    this.records += offsets.length;
    const task: Promise<void> = run(epoch)
      .catch((error: unknown) => this.fail(epoch, error))
      .finally(() => {
        this.running.delete(task);
        this.records -= offsets.length;
      });
    this.running.add(task);
    return epoch;
  }

  /** True while `epoch` is the current one. */
  current(epoch: number): boolean {
    return epoch === this.epochValue;
  }

  /**
   * Commits the end of the contiguous done prefix, walking the batches in
   * fetch order. Commits never overlap: a call during one walks again after
   * it. Resolves once the prefix as of this call is committed (or the epoch
   * ended). A failed commit fails the epoch.
   */
  settle(epoch: number): Promise<void> {
    if (epoch !== this.epochValue) return Promise.resolve();
    this.walkAgain = true;
    this.committing ??= this.commitLoop().finally(() => {
      this.committing = undefined;
    });
    return this.committing;
  }

  private async commitLoop(): Promise<void> {
    while (this.walkAgain) {
      this.walkAgain = false;
      const epoch = this.epochValue;
      const point = this.walk();
      if (point === undefined || this.context === undefined) continue;
      const result = await this.deps.commit(this.context, point);
      if (epoch !== this.epochValue) return;
      if (!result.ok) {
        this.fail(epoch, result.error);
        return;
      }
      this.resumeAt = point.offset;
    }
  }

  /** Moves the walk over done records, batch after batch; the commit point reached, if it moved. */
  private walk(): CommitPoint | undefined {
    let reached: CommitPoint | undefined;
    while (this.entries.length > 0) {
      const head = this.entries[0];
      const point = this.deps.progress.commitPoint(head.offsets, head.index, head.lastOffset);
      if (point === undefined) break;
      head.index = point.end;
      reached = point;
      if (head.index < head.offsets.length) break;
      this.entries.shift();
    }
    return reached;
  }

  /**
   * Ends `epoch` after a failure (a handler, a dead-letter write or a
   * commit): kafkajs goes back to the first record not committed and the
   * partition waits for its backoff. A failure of an epoch already ended is
   * ignored: that one already sent kafkajs back.
   */
  fail(epoch: number, error: unknown): void {
    if (epoch !== this.epochValue) return;
    this.epochValue++;
    this.entries = [];
    this.walkAgain = false;
    if (this.resumeAt !== undefined) this.deps.seek(this.resumeAt);
    this.deps.retry(error);
  }

  /**
   * Forgets the walk after the group was joined again: kafkajs now fetches
   * from the committed offset, and the first batch starts a new epoch.
   */
  reset(): void {
    this.epochValue++;
    this.entries = [];
    this.walkAgain = false;
    this.resumeAt = undefined;
    this.context = undefined;
  }

  /** Resolves once no batch is being handled and no commit is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.committing) {
      await Promise.allSettled([...this.running, this.committing]);
    }
  }
}
