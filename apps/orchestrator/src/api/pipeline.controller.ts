import { Controller, Get } from '@nestjs/common';
import { PipelineService, type PipelineSnapshot } from '../pipeline/pipeline.service';

/** `/api/pipeline`: the pipeline's health, offsets, lag, rates and row count, for the dashboard. */
@Controller('api/pipeline')
export class PipelineController {
  constructor(private readonly pipeline: PipelineService) {}

  @Get()
  snapshot(): Promise<PipelineSnapshot> {
    return this.pipeline.snapshot();
  }
}
