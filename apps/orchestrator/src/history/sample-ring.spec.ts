import { SampleRing, type PipelineSample } from './sample-ring';

const sample = (t: number, inPerSec: number | null = t): PipelineSample => ({ t, inPerSec, outPerSec: null, lag: 0, dlq: 1, rows: 2, produced: 3 });

describe('SampleRing', () => {
  it('keeps the newest samples up to its capacity, oldest first, with nulls kept as nulls', () => {
    const ring = new SampleRing(3);
    expect(ring.latest()).toBeUndefined();
    for (const t of [1, 2, 3, 4, 5]) ring.push(sample(t));
    expect(ring.size).toBe(3);
    expect(ring.since(0).t).toEqual([3, 4, 5]);
    expect(ring.since(4)).toEqual({ t: [4, 5], inPerSec: [4, 5], outPerSec: [null, null], lag: [0, 0], dlq: [1, 1], rows: [2, 2], produced: [3, 3] });
    ring.push(sample(6, Number.NaN));
    expect(ring.latest()).toEqual({ ...sample(6), inPerSec: null });
  });

  it('holds 24 h at 10 s in typed arrays', () => {
    const ring = new SampleRing(8640);
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 9000; i++) ring.push(sample(start + i * 10_000, i));
    const day = ring.since(0);
    expect(day.t).toHaveLength(8640);
    expect(day.t[0]).toBe(start + 360 * 10_000);
    expect(day.inPerSec[8639]).toBe(8999);
    expect(() => new SampleRing(0)).toThrow(RangeError);
  });
});
