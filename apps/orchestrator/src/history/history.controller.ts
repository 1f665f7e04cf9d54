import { Controller, Get, Query } from '@nestjs/common';
import { ParamsError } from '../jobs/job.definition';
import { PipelineHistory, type HistoryView } from './pipeline-history.service';

const MAX_SECONDS = 7 * 24 * 3600;

/** `/api/pipeline/history`: the sampled pipeline for the dashboard's charts, with the newest snapshot. */
@Controller('api/pipeline/history')
export class HistoryController {
  constructor(private readonly history: PipelineHistory) {}

  /** `?seconds=900` (default): the samples of the last that many seconds. */
  @Get()
  view(@Query('seconds') seconds?: string): HistoryView {
    let window = 900;
    if (seconds !== undefined) {
      window = Number(seconds);
      if (typeof seconds !== 'string' || !/^\d{1,7}$/.test(seconds) || window < 1 || window > MAX_SECONDS) {
        throw new ParamsError(`seconds: must be an integer from 1 to ${MAX_SECONDS} (got ${JSON.stringify(seconds)})`);
      }
    }
    return this.history.view(window);
  }
}
