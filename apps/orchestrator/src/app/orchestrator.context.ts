import type { Logger } from '@userstream/core';
import type { OrchestratorMetrics } from './orchestrator.metrics';

/** Shared by the orchestrator's services: the root logger and the metrics. */
export class OrchestratorContext {
  constructor(
    readonly logger: Logger,
    readonly metrics: OrchestratorMetrics,
  ) {}
}
