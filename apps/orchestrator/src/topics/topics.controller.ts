import { Controller, Get, NotFoundException, Param, Query, ServiceUnavailableException } from '@nestjs/common';
import { ConfigError, UserstreamError } from '@userstream/core';
import type { TopicReadRequest } from '@userstream/kafka';
import { ParamsError } from '../jobs/job.definition';
import { NoTopicReaderError, TopicBrowser, UnknownTopicError, type BrowsableTopic, type BrowseResult } from './topic-browser.service';

const MAX_RECORDS = 500;

function integer(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ParamsError(`${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

function time(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : typeof raw === 'string' && raw.length <= 40 ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new ParamsError(`fromTime: must be an ISO-8601 time or milliseconds since the epoch (got ${JSON.stringify(raw)})`);
  return ms;
}

/** `/api/topics`: the topic browser (read-only; never in the stream-processor's consumer group). */
@Controller('api/topics')
export class TopicsController {
  constructor(private readonly browser: TopicBrowser) {}

  @Get()
  async list(): Promise<{ topics: BrowsableTopic[] }> {
    try {
      return { topics: await this.browser.topics() };
    } catch (error) {
      throw new ServiceUnavailableException(`Kafka: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** `?partition=0&last=20`, or `fromOffset=N`, or `fromTime=<ISO or ms>`; `limit` (≤ 500); `reason` filters dead letters. */
  @Get(':topic/records')
  async records(
    @Param('topic') topic: string,
    @Query('partition') partition?: string,
    @Query('last') last?: string,
    @Query('fromOffset') fromOffset?: string,
    @Query('fromTime') fromTime?: string,
    @Query('limit') limit?: string,
    @Query('reason') reason?: string,
  ): Promise<BrowseResult> {
    const request: Omit<TopicReadRequest, 'topic'> = { partition: integer('partition', partition ?? '0', 0, 100_000) ?? 0 };
    const starts = [last, fromOffset, fromTime].filter((v) => v !== undefined).length;
    if (starts > 1) throw new ParamsError('name one of last, fromOffset, fromTime');
    if (starts === 0) request.last = 20;
    const n = integer('last', last, 1, MAX_RECORDS);
    if (n !== undefined) request.last = n;
    const offset = integer('fromOffset', fromOffset, 0, Number.MAX_SAFE_INTEGER);
    if (offset !== undefined) request.fromOffset = offset;
    const ms = time(fromTime);
    if (ms !== undefined) request.fromTime = ms;
    const max = integer('limit', limit, 1, MAX_RECORDS);
    if (max !== undefined) request.limit = max;
    if (reason !== undefined && (typeof reason !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(reason)))
      throw new ParamsError(`reason: must be an error code (got ${JSON.stringify(reason)})`);
    try {
      return await this.browser.read(topic, request, reason);
    } catch (error) {
      if (error instanceof UnknownTopicError) throw new NotFoundException(error.message);
      if (error instanceof ConfigError) throw new ParamsError(error.message);
      if (error instanceof NoTopicReaderError) throw new ServiceUnavailableException(error.message);
      if (error instanceof UserstreamError && /no partition/.test(error.message)) throw new NotFoundException(error.message);
      if (error instanceof UserstreamError) throw new ServiceUnavailableException(`Kafka: ${error.message}`);
      throw error;
    }
  }
}
