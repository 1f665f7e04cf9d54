import { Body, Controller, HttpCode, Post, Req, ServiceUnavailableException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { UserstreamError } from '@userstream/core';
import type { RunRecord } from '../runs/run.model';
import { DlqRedrive, parseRedriveRequest } from './dlq-redrive.service';

/** `/api/dlq`: re-drive dead letters to the pipeline's topic (JSON, behind the login like every API route). */
@Controller('api/dlq')
export class DlqController {
  constructor(private readonly redriver: DlqRedrive) {}

  /** Body `{ partition, offsets: [..] }` or `{ partition, reason }`; answers the audit run (job `dlq_redrive`). */
  @Post('redrive')
  @HttpCode(200)
  async redrive(@Body() body: unknown, @Req() req: IncomingMessage & { user?: string }): Promise<RunRecord> {
    const request = parseRedriveRequest(body);
    try {
      return await this.redriver.redrive(request, req.user ?? 'unknown');
    } catch (error) {
      if (error instanceof UserstreamError && error.code === 'INVALID_PARAMS') throw error;
      if (error instanceof UserstreamError && error.code.startsWith('KAFKA')) throw new ServiceUnavailableException(`Kafka: ${error.message}`);
      throw error;
    }
  }
}
