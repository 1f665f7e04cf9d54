import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ParamsError } from '../jobs/job.definition';
import type { RunRecord } from '../runs/run.model';
import { SchedulerService, type JobView } from '../scheduler/scheduler.service';

/** The body of `POST /api/jobs/:name/trigger`. */
interface TriggerBody {
  params?: unknown;
}

/** `/api/jobs`: list, pause, unpause and trigger the jobs. */
@Controller('api/jobs')
export class JobsController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get()
  list(): { jobs: JobView[] } {
    return { jobs: this.scheduler.listJobs() };
  }

  @Get(':name')
  get(@Param('name') name: string): JobView {
    return this.scheduler.getJob(name);
  }

  @Post(':name/pause')
  @HttpCode(200)
  pause(@Param('name') name: string): Promise<JobView> {
    return this.scheduler.pause(name);
  }

  @Post(':name/unpause')
  @HttpCode(200)
  unpause(@Param('name') name: string): Promise<JobView> {
    return this.scheduler.unpause(name);
  }

  /** Starts a run now: 202 with the queued run; 400 for bad params; 409 when a run is active. */
  @Post(':name/trigger')
  @HttpCode(202)
  trigger(@Param('name') name: string, @Body() body: unknown): Promise<RunRecord> {
    const input = body ?? {};
    if (typeof input !== 'object' || Array.isArray(input)) throw new ParamsError('body: must be a JSON object like {"params": {...}}');
    const extra = Object.keys(input).filter((key) => key !== 'params');
    if (extra.length > 0) throw new ParamsError(`body.${extra[0]}: unknown field (send {"params": {...}})`);
    return this.scheduler.trigger(name, (input as TriggerBody).params);
  }
}
