// HDR histograms (hdr-histogram-js) recording microseconds, summarised in milliseconds.
import hdr from 'hdr-histogram-js';

/** A histogram of values in microseconds, 1 µs to 10 min, 3 significant digits. */
export function microsHistogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

const ms = (us) => Number((us / 1000).toFixed(us >= 100_000 ? 0 : us >= 10_000 ? 1 : 2));

/** `{ count, p50, p90, p99, p999, max, mean }` in milliseconds. */
export function summarize(histogram) {
  if (histogram.totalCount === 0) return { count: 0 };
  return {
    count: histogram.totalCount,
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
  };
}
