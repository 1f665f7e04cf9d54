import { withTimeout } from './timeout';

/** The outcome of one named health check. */
export interface HealthCheckResult {
  ok: boolean;
  durationMs: number;
  error?: string;
}

/** The combined report served at `/health/ready`. */
export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, HealthCheckResult>;
}

/**
 * A set of named readiness checks (e.g. "kafka", "cassandra"). Each check
 * resolves when the dependency answers and throws when it does not; every
 * check is bounded by `timeoutMs` so one hung dependency cannot hang the
 * probe.
 *
 * @example
 * ```ts
 * const health = new HealthChecks();
 * health.register('cassandra', () => sink.ping());
 * const report = await health.run(); // { status: 'ok', checks: { cassandra: { ok: true, ... } } }
 * ```
 */
export class HealthChecks {
  private readonly checks = new Map<string, () => Promise<unknown>>();

  constructor(private readonly timeoutMs = 3000) {}

  register(name: string, check: () => Promise<unknown>): this {
    this.checks.set(name, check);
    return this;
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => [name, await this.runOne(check)] as const));
    const checks = Object.fromEntries(entries);
    return { status: entries.every(([, r]) => r.ok) ? 'ok' : 'error', checks };
  }

  private async runOne(check: () => Promise<unknown>): Promise<HealthCheckResult> {
    const started = Date.now();
    try {
      await withTimeout(check(), this.timeoutMs, { message: `no answer within ${this.timeoutMs} ms` });
      return { ok: true, durationMs: Date.now() - started };
    } catch (error) {
      return { ok: false, durationMs: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
