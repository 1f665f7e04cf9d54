import { ParamsError } from '../../src/jobs/job.definition';
import { ACTIVE_STATES, type JobState, type RunPage, type RunRecord } from '../../src/runs/run.model';
import { RunStore, type ListRunsQuery } from '../../src/runs/run.store';

/**
 * A {@link RunStore} in memory, for unit tests of the scheduler. Records are
 * copied in and out, as a real store would serialize them.
 */
export class InMemoryRunStore extends RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly states = new Map<string, JobState>();
  /** Every saved version of every run, in order; lets tests check the states a run went through. */
  readonly history: RunRecord[] = [];

  async init(): Promise<void> {
    // Nothing to create in memory.
  }

  async saveRun(run: RunRecord): Promise<void> {
    const copy = structuredClone(run);
    this.runs.set(run.id, copy);
    this.history.push(structuredClone(run));
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const run = this.runs.get(id);
    return run && structuredClone(run);
  }

  async listRuns(query: ListRunsQuery): Promise<RunPage> {
    const start = query.pageToken === undefined ? 0 : Number(query.pageToken);
    if (!Number.isInteger(start) || start < 0) throw new ParamsError('pageToken: not a token this server issued');
    const all = [...this.runs.values()]
      .filter((r) => query.job === undefined || r.job === query.job)
      .sort((a, b) => b.queuedAt.localeCompare(a.queuedAt) || b.id.localeCompare(a.id));
    const runs = all.slice(start, start + query.limit).map((r) => structuredClone(r));
    const next = start + query.limit;
    return next < all.length ? { runs, nextPageToken: String(next) } : { runs };
  }

  async activeRuns(): Promise<RunRecord[]> {
    return [...this.runs.values()].filter((r) => ACTIVE_STATES.includes(r.state)).map((r) => structuredClone(r));
  }

  async jobStates(): Promise<JobState[]> {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  async saveJobState(state: JobState): Promise<void> {
    this.states.set(state.job, { ...state });
  }

  async ping(): Promise<void> {
    // Always reachable.
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
