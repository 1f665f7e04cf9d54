import { ConfigError } from '@userstream/core';
import type { JobDefinition } from './job.definition';

/** The jobs this orchestrator runs, defined in code and configured at start. */
export class JobCatalog {
  private readonly jobs = new Map<string, JobDefinition<object>>();

  constructor(definitions: Array<JobDefinition<object>>) {
    for (const job of definitions) {
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(job.name)) throw new ConfigError(`job name "${job.name}": use letters, digits, _, . or -`);
      if (this.jobs.has(job.name)) throw new ConfigError(`job "${job.name}" is defined twice`);
      this.jobs.set(job.name, job);
    }
  }

  get(name: string): JobDefinition<object> | undefined {
    return this.jobs.get(name);
  }

  all(): Array<JobDefinition<object>> {
    return [...this.jobs.values()];
  }
}
