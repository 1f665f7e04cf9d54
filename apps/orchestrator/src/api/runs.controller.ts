import { Controller, Get, Param, Query } from '@nestjs/common';
import { UserstreamError } from '@userstream/core';
import { ParamsError } from '../jobs/job.definition';
import type { RunPage, RunRecord } from '../runs/run.model';
import { RunStore } from '../runs/run.store';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** `/api/runs`: the run history, newest first, paged. */
@Controller('api/runs')
export class RunsController {
  constructor(private readonly store: RunStore) {}

  @Get()
  list(@Query('job') job?: string, @Query('limit') limit?: string, @Query('pageToken') pageToken?: string): Promise<RunPage> {
    let size = DEFAULT_LIMIT;
    if (limit !== undefined) {
      size = Number(limit);
      if (!Number.isInteger(size) || size < 1 || size > MAX_LIMIT)
        throw new ParamsError(`limit: must be an integer from 1 to ${MAX_LIMIT} (got ${JSON.stringify(limit)})`);
    }
    if (job !== undefined && (typeof job !== 'string' || job.length === 0)) throw new ParamsError('job: must be a job name');
    if (pageToken !== undefined && typeof pageToken !== 'string') throw new ParamsError('pageToken: give it once');
    return this.store.listRuns({ limit: size, ...(job ? { job } : {}), ...(pageToken ? { pageToken } : {}) });
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<RunRecord> {
    const run = await this.store.getRun(id);
    if (!run) throw new UserstreamError(`no run with id "${id}"`, { code: 'RUN_NOT_FOUND' });
    return run;
  }
}
