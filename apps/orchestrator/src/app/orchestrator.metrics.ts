import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The orchestrator's Prometheus metrics, registered on the app's registry. */
export class OrchestratorMetrics {
  /** Runs that reached a final state. */
  readonly runsTotal: Counter<'job' | 'state'>;
  /** Tries that ended, by outcome (success, failed, timeout). */
  readonly triesTotal: Counter<'job' | 'outcome'>;
  readonly runDuration: Histogram<'job' | 'state'>;
  /** 1 while the job has a queued, running or up_for_retry run. */
  readonly activeRuns: Gauge<'job'>;
  /** Due times that started no run (the previous run was still active). */
  readonly skippedTotal: Counter<'job' | 'reason'>;
  /** Records the broker acknowledged in successful runs. */
  readonly recordsAcknowledged: Counter<'job'>;
  readonly webhookTotal: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runsTotal = new Counter({
      name: 'userstream_orchestrator_runs_total',
      help: 'Runs that reached a final state',
      labelNames: ['job', 'state'],
      registers,
    });
    this.triesTotal = new Counter({
      name: 'userstream_orchestrator_tries_total',
      help: 'Tries that ended, by outcome',
      labelNames: ['job', 'outcome'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'userstream_orchestrator_run_duration_seconds',
      help: 'Time from the first try to the final state',
      labelNames: ['job', 'state'],
      buckets: [1, 5, 15, 30, 60, 90, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.activeRuns = new Gauge({ name: 'userstream_orchestrator_active_runs', help: 'Runs queued, running or up for retry', labelNames: ['job'], registers });
    this.skippedTotal = new Counter({
      name: 'userstream_orchestrator_skipped_total',
      help: 'Due times that started no run',
      labelNames: ['job', 'reason'],
      registers,
    });
    this.recordsAcknowledged = new Counter({
      name: 'userstream_orchestrator_records_acknowledged_total',
      help: 'Records acknowledged by Kafka in successful runs',
      labelNames: ['job'],
      registers,
    });
    this.webhookTotal = new Counter({
      name: 'userstream_orchestrator_webhook_total',
      help: 'Failure webhook calls, by outcome',
      labelNames: ['outcome'],
      registers,
    });
  }
}
