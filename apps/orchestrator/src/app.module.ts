import { Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ApiErrorFilter } from './api/api-error.filter';
import { JobsController } from './api/jobs.controller';
import { PipelineController } from './api/pipeline.controller';
import { RunsController } from './api/runs.controller';
import { OrchestratorContext } from './app/orchestrator.context';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardState } from './dashboard/dashboard-state';
import { DlqController } from './dlq/dlq.controller';
import { DlqRedrive } from './dlq/dlq-redrive.service';
import { HistoryController } from './history/history.controller';
import { HistorySettings, PipelineHistory } from './history/pipeline-history.service';
import { JobCatalog } from './jobs/job.catalog';
import { WebhookNotifier } from './notify/webhook.notifier';
import { PipelineService, PipelineSettings } from './pipeline/pipeline.service';
import { PipelineStats } from './pipeline/pipeline.stats';
import { TableRowCounter } from './pipeline/table-row.counter';
import { RowsWrittenSettings, RowsWrittenTracker } from './runs/rows-written.tracker';
import { RunStore } from './runs/run.store';
import { SchedulerService, SchedulerSettings } from './scheduler/scheduler.service';
import { TopicBrowser } from './topics/topic-browser.service';
import { TopicsController } from './topics/topics.controller';

/** Everything the orchestrator module is built from; main.ts builds it from the configuration. */
export interface OrchestratorParts {
  context: OrchestratorContext;
  catalog: JobCatalog;
  store: RunStore;
  notifier: WebhookNotifier;
  stats: PipelineStats;
  rowCounter: TableRowCounter;
  pipeline: PipelineSettings;
  rowsWritten: RowsWrittenSettings;
  scheduler?: SchedulerSettings;
  /** Sampling of the dashboard's history; default every 10 s, 24 h kept. */
  history?: HistorySettings;
  /** Closed after the app stopped, in order (clients, connections). */
  closers?: Array<() => Promise<void>>;
}

/** Closes the clients the module was given, once the app has stopped. */
@Injectable()
export class ClientCloser implements OnApplicationShutdown {
  constructor(private readonly closers: Array<() => Promise<void>>) {}

  async onApplicationShutdown(): Promise<void> {
    for (const close of this.closers) await close();
  }
}

/** The root module of the orchestrator app. */
@Module({})
export class AppModule {
  static register(parts: OrchestratorParts): DynamicModule {
    return {
      module: AppModule,
      imports: [ScheduleModule.forRoot()],
      controllers: [JobsController, RunsController, HistoryController, PipelineController, TopicsController, DlqController, DashboardController],
      providers: [
        { provide: OrchestratorContext, useValue: parts.context },
        { provide: JobCatalog, useValue: parts.catalog },
        { provide: RunStore, useValue: parts.store },
        { provide: WebhookNotifier, useValue: parts.notifier },
        { provide: PipelineStats, useValue: parts.stats },
        { provide: TableRowCounter, useValue: parts.rowCounter },
        { provide: PipelineSettings, useValue: parts.pipeline },
        { provide: RowsWrittenSettings, useValue: parts.rowsWritten },
        { provide: SchedulerSettings, useValue: parts.scheduler ?? new SchedulerSettings() },
        { provide: HistorySettings, useValue: parts.history ?? new HistorySettings() },
        { provide: ClientCloser, useValue: new ClientCloser(parts.closers ?? []) },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
        SchedulerService,
        RowsWrittenTracker,
        PipelineService,
        PipelineHistory,
        DashboardState,
        TopicBrowser,
        DlqRedrive,
      ],
    };
  }
}
