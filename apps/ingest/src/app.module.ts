import { Module, type DynamicModule } from '@nestjs/common';
import { RunsController } from './http/runs.controller';
import { RunsService } from './runs/runs.service';

/** The root module of the ingest app: the run API over a {@link RunsService} built in main.ts. */
@Module({})
export class AppModule {
  static register(runs: RunsService): DynamicModule {
    return {
      module: AppModule,
      controllers: [RunsController],
      providers: [{ provide: RunsService, useValue: runs }],
    };
  }
}
