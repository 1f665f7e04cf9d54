/** The offset after `offset` (offsets are decimal strings; they may pass 2^53). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** Where the committed offset of a partition may move to; see {@link PartitionProgress.commitPoint}. */
export interface CommitPoint {
  /** Index in the batch just past the contiguous done prefix. */
  end: number;
  /** The last offset the prefix covers: what kafkajs resolves. */
  lastDone: string;
  /** The offset to commit: `lastDone + 1`, the next record to read. */
  offset: string;
}

/**
 * The progress of one partition in a consumer runner, without kafkajs: which
 * offsets are done (written or dead-lettered) but not committed yet, where
 * the commit point is, and how many attempts in a row have failed.
 *
 * Commit rule: the committed offset only moves past a record when it and
 * every record before it in the batch is done. Records finish in any order;
 * the commit point is the end of the contiguous done prefix.
 *
 * @example
 * ```ts
 * const progress = new PartitionProgress('users', 0);
 * progress.markDone('11'); progress.markDone('10');
 * progress.commitPoint(['10', '11', '12'], 0, '12'); // { end: 2, lastDone: '11', offset: '12' }
 * progress.committed('12'); // forgets 10 and 11
 * ```
 */
export class PartitionProgress {
  private readonly done = new Set<string>();
  private failures = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** True when `offset` is done and not yet committed. */
  isDone(offset: string): boolean {
    return this.done.has(offset);
  }

  /** Marks `offset` done (handled or dead-lettered); in any order. */
  markDone(offset: string): void {
    this.done.add(offset);
  }

  /** Offsets done but not committed yet. */
  get doneNotCommitted(): number {
    return this.done.size;
  }

  /**
   * The commit point of a batch whose records have the offsets `offsets` (in
   * order), counting from index `from`: undefined when the record at `from`
   * is not done. When the done prefix reaches the end of the batch, it covers
   * up to `batchLastOffset` (kafkajs's last offset of the batch, which may lie
   * past the last record, e.g. after control records).
   */
  commitPoint(offsets: readonly string[], from: number, batchLastOffset: string): CommitPoint | undefined {
    let end = from;
    while (end < offsets.length && this.done.has(offsets[end])) end++;
    if (end === from) return undefined;
    const lastDone = end === offsets.length ? batchLastOffset : offsets[end - 1];
    return { end, lastDone, offset: nextOffset(lastDone) };
  }

  /** Forgets the done offsets below `offset` once it is committed (the next record to read). */
  committed(offset: string): void {
    const limit = BigInt(offset);
    for (const done of this.done) if (BigInt(done) < limit) this.done.delete(done);
  }

  /** Consecutive failed attempts; 0 after a success. */
  get attempt(): number {
    return this.failures;
  }

  /** Counts a failed attempt and returns the new count. */
  failed(): number {
    return ++this.failures;
  }

  /** A chunk went through: the next failure is attempt 1 again. */
  succeeded(): void {
    this.failures = 0;
  }
}
