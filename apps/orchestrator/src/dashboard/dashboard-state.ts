import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { componentLogger, describeError, type Logger } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { PipelineHistory, type HistoryView } from '../history/pipeline-history.service';
import type { RunRecord } from '../runs/run.model';
import { RunStore } from '../runs/run.store';
import { SchedulerService } from '../scheduler/scheduler.service';
import type { JobView } from '../scheduler/job.view';

/** The runs the dashboard lists, as its first poll asks for them. */
export const DASHBOARD_RUNS = 20;
/** The chart window the dashboard opens with, in seconds. */
export const DASHBOARD_WINDOW_SECONDS = 900;

/** What the dashboard page is served with, so it paints before its first poll answers. */
export interface ServedState {
  jobs: JobView[];
  /** The newest runs as last read; absent until the first read answered. */
  runs?: RunRecord[];
  history: HistoryView & { seconds: number };
}

/**
 * The state served inside the dashboard page: the jobs and the history with
 * its newest snapshot (both in memory), and the newest runs as last read
 * (read at start, when a run ends and after each page served, in the
 * background, so serving a page never waits for Cassandra). The page's first
 * poll then brings everything up to date.
 */
@Injectable()
export class DashboardState implements OnApplicationBootstrap, OnApplicationShutdown {
  private runs?: RunRecord[];
  private reading?: Promise<void>;
  private unsubscribe?: () => void;
  private readonly logger: Logger;

  constructor(
    private readonly scheduler: SchedulerService,
    private readonly store: RunStore,
    private readonly history: PipelineHistory,
    context: OrchestratorContext,
  ) {
    this.logger = componentLogger(context.logger, 'dashboard');
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.scheduler.events.on('run.finished', () => void this.readRuns());
    void this.readRuns();
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  /** The state to serve now; starts a fresh read of the runs for the next page. */
  current(): ServedState {
    const state: ServedState = {
      jobs: this.scheduler.listJobs(),
      ...(this.runs ? { runs: this.runs } : {}),
      history: { ...this.history.view(DASHBOARD_WINDOW_SECONDS), seconds: DASHBOARD_WINDOW_SECONDS },
    };
    void this.readRuns();
    return state;
  }

  /** Reads the newest runs (one read at a time); a failure keeps the previous ones. */
  readRuns(): Promise<void> {
    this.reading ??= this.store
      .listRuns({ limit: DASHBOARD_RUNS })
      .then((page) => {
        this.runs = page.runs;
      })
      .catch((error: unknown) => this.logger.debug({ err: describeError(error) }, 'reading the runs for the dashboard page failed'))
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}

/** Text safe inside a double-quoted HTML attribute. */
export function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The marker in index.html that the served state replaces. */
export const SERVED_STATE_MARKER = '<meta name="served-state" content="" />';

/** index.html with `state` in its served-state meta element (as an HTML-escaped JSON attribute: no script runs it). */
export function pageWithState(html: string, state: ServedState): string {
  return html.replace(SERVED_STATE_MARKER, () => `<meta name="served-state" content="${escapeAttribute(JSON.stringify(state))}" />`);
}
