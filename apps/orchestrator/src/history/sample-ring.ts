/** The series one pipeline sample holds; each a number or null (unknown at that time). */
export const SAMPLE_FIELDS = ['inPerSec', 'outPerSec', 'lag', 'dlq', 'rows', 'produced'] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];

/** One sample: its time (ms since the epoch) and the fields. */
export type PipelineSample = { t: number } & Record<SampleField, number | null>;

/** Samples in columns, oldest first, as the history API serves them. */
export type SampleColumns = { t: number[] } & Record<SampleField, Array<number | null>>;

/**
 * A fixed-size ring of pipeline samples in typed arrays (8 bytes a number,
 * NaN for null): 24 h at 10 s is 8640 samples, about 400 KB. The oldest
 * sample is overwritten when full.
 */
export class SampleRing {
  private readonly times: Float64Array;
  private readonly columns: Record<SampleField, Float64Array>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer (got ${capacity})`);
    this.times = new Float64Array(capacity);
    this.columns = Object.fromEntries(SAMPLE_FIELDS.map((f) => [f, new Float64Array(capacity)])) as Record<SampleField, Float64Array>;
  }

  get size(): number {
    return this.count;
  }

  push(sample: PipelineSample): void {
    this.times[this.next] = sample.t;
    for (const field of SAMPLE_FIELDS) {
      const value = sample[field];
      this.columns[field][this.next] = value === null || !Number.isFinite(value) ? Number.NaN : value;
    }
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** The newest sample, if any. */
  latest(): PipelineSample | undefined {
    if (this.count === 0) return undefined;
    return this.at((this.next - 1 + this.capacity) % this.capacity);
  }

  /** Samples taken at or after `sinceMs`, oldest first, in columns. */
  since(sinceMs: number): SampleColumns {
    const out = { t: [] as number[], ...Object.fromEntries(SAMPLE_FIELDS.map((f) => [f, [] as Array<number | null>])) } as SampleColumns;
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const index = (first + i) % this.capacity;
      if (this.times[index] < sinceMs) continue;
      out.t.push(this.times[index]);
      for (const field of SAMPLE_FIELDS) {
        const value = this.columns[field][index];
        out[field].push(Number.isNaN(value) ? null : value);
      }
    }
    return out;
  }

  private at(index: number): PipelineSample {
    const sample = { t: this.times[index] } as PipelineSample;
    for (const field of SAMPLE_FIELDS) {
      const value = this.columns[field][index];
      sample[field] = Number.isNaN(value) ? null : value;
    }
    return sample;
  }
}
