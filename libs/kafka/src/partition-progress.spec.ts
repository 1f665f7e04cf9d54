// The done set and the commit point, with no kafkajs and no broker.
import { nextOffset, PartitionProgress } from './partition-progress';

describe('PartitionProgress', () => {
  const offsets = ['10', '11', '12', '13'];

  it('has no commit point until the first record of the range is done', () => {
    const progress = new PartitionProgress('t', 0);
    progress.markDone('11');
    progress.markDone('12');
    expect(progress.commitPoint(offsets, 0, '13')).toBeUndefined();
  });

  it('commits the contiguous done prefix, whatever order the records finished in', () => {
    const progress = new PartitionProgress('t', 0);
    for (const offset of ['12', '10', '11']) progress.markDone(offset);
    expect(progress.commitPoint(offsets, 0, '13')).toEqual({ end: 3, lastDone: '12', offset: '13' });
  });

  it('counts from the given index', () => {
    const progress = new PartitionProgress('t', 0);
    progress.markDone('12');
    expect(progress.commitPoint(offsets, 2, '13')).toEqual({ end: 3, lastDone: '12', offset: '13' });
    expect(progress.commitPoint(offsets, 3, '13')).toBeUndefined();
  });

  it("covers up to the batch's last offset when the prefix reaches the end of the batch", () => {
    const progress = new PartitionProgress('t', 0);
    for (const offset of offsets) progress.markDone(offset);
    // kafkajs's last offset may lie past the last record (control records of a transaction).
    expect(progress.commitPoint(offsets, 0, '15')).toEqual({ end: 4, lastDone: '15', offset: '16' });
  });

  it('forgets what is committed and keeps what lies past it', () => {
    const progress = new PartitionProgress('t', 0);
    for (const offset of ['10', '11', '13']) progress.markDone(offset);
    progress.committed('12');
    expect(progress.isDone('10')).toBe(false);
    expect(progress.isDone('11')).toBe(false);
    expect(progress.isDone('13')).toBe(true);
    expect(progress.doneNotCommitted).toBe(1);
  });

  it('compares offsets as numbers, also past 2^53', () => {
    const big = '9007199254740993';
    expect(nextOffset(big)).toBe('9007199254740994');
    expect(nextOffset('9')).toBe('10');
    const progress = new PartitionProgress('t', 0);
    progress.markDone('9');
    progress.markDone('100');
    progress.committed('10');
    expect(progress.isDone('9')).toBe(false);
    expect(progress.isDone('100')).toBe(true);
  });

  it('counts failed attempts in a row until a success', () => {
    const progress = new PartitionProgress('t', 3);
    expect(progress.attempt).toBe(0);
    expect(progress.failed()).toBe(1);
    expect(progress.failed()).toBe(2);
    expect(progress.attempt).toBe(2);
    progress.succeeded();
    expect(progress.attempt).toBe(0);
    expect(progress.partition).toBe(3);
  });
});
