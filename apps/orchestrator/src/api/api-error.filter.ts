import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { componentLogger, describeError, UserstreamError, type Logger } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';

/** HTTP status for each error code the API may meet. */
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_PARAMS: 400,
  JOB_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  RUN_ACTIVE: 409,
  SHUTTING_DOWN: 503,
  CASSANDRA_FAILED: 503,
};

/** Answers every API error as `{ error, message }` JSON, like the ingest app does. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger: Logger;

  constructor(context: OrchestratorContext) {
    this.logger = componentLogger(context.logger, 'api');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    let status = 500;
    let body: { error: string; message: string };
    if (exception instanceof UserstreamError) {
      status = STATUS_BY_CODE[exception.code] ?? 500;
      body = { error: exception.code.toLowerCase(), message: exception.message };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response ? (response as { message: unknown }).message : exception.message;
      body = {
        error: status === 404 ? 'not_found' : status === 400 ? 'bad_request' : 'http_error',
        message: Array.isArray(message) ? message.join('; ') : String(message),
      };
    } else {
      body = { error: 'internal_error', message: describeError(exception) };
    }
    if (status >= 500) this.logger.error({ status, err: describeError(exception) }, 'API request failed');
    res.status(status).json(body);
  }
}
