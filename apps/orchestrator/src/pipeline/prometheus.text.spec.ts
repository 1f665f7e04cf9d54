import { sumPrometheusSamples } from './prometheus.text';

describe('sumPrometheusSamples', () => {
  it('sums every label set of a metric and skips comments and bad lines', () => {
    const text = [
      '# HELP userstream_processor_records_written_total Rows written',
      '# TYPE userstream_processor_records_written_total counter',
      'userstream_processor_records_written_total{table="users_created"} 1200',
      'userstream_processor_records_written_total{table="users_v2"} 34',
      'userstream_processor_consumer_lag{partition="0"} 5',
      'userstream_processor_consumer_lag{partition="1"} 7 1700000000000',
      'process_cpu_seconds_total 0.5',
      'broken line',
      'nan_metric NaN',
    ].join('\n');
    expect(sumPrometheusSamples(text)).toEqual({
      userstream_processor_records_written_total: 1234,
      userstream_processor_consumer_lag: 12,
      process_cpu_seconds_total: 0.5,
    });
  });
});
