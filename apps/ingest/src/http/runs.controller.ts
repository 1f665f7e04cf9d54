import { Body, Controller, Delete, Get, HttpCode, HttpException, HttpStatus, Param, Post } from '@nestjs/common';
import { INGEST_PATHS, InvalidRunParamsError, type RunStatus } from '@userstream/ingest-contract';
import { RunsService, ShuttingDownError, TooManyRunsError } from '../runs/runs.service';

function httpError(status: HttpStatus, error: string, message: string): HttpException {
  // The body is exactly `{ error, message }`: `message` says which parameter and why.
  return new HttpException({ error, message }, status);
}

function notFound(id: string): HttpException {
  return httpError(HttpStatus.NOT_FOUND, 'Not Found', `run ${id} not found (unknown, or older than the kept history)`);
}

/**
 * The run API: `POST /runs` starts a run (202), `GET /runs` lists recent
 * runs (newest first), `GET /runs/:id` gives one run, `DELETE /runs/:id`
 * cancels one and answers once it stopped.
 */
@Controller(INGEST_PATHS.controller)
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  start(@Body() body: unknown): RunStatus {
    try {
      return this.runs.start(body);
    } catch (error) {
      if (error instanceof InvalidRunParamsError) throw httpError(HttpStatus.BAD_REQUEST, 'Bad Request', error.message);
      if (error instanceof TooManyRunsError) throw httpError(HttpStatus.TOO_MANY_REQUESTS, 'Too Many Requests', error.message);
      if (error instanceof ShuttingDownError) throw httpError(HttpStatus.SERVICE_UNAVAILABLE, 'Service Unavailable', error.message);
      throw error;
    }
  }

  @Get()
  list(): { runs: RunStatus[] } {
    return { runs: this.runs.list() };
  }

  @Get(INGEST_PATHS.runParam)
  get(@Param('id') id: string): RunStatus {
    const status = this.runs.get(id);
    if (!status) throw notFound(id);
    return status;
  }

  @Delete(INGEST_PATHS.runParam)
  async cancel(@Param('id') id: string): Promise<RunStatus> {
    const status = await this.runs.cancel(id);
    if (!status) throw notFound(id);
    return status;
  }
}
