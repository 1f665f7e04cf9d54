import { Injectable } from '@nestjs/common';
import { types } from 'cassandra-driver';
import { componentLogger, describeError, type Logger } from '@userstream/core';
import { DEAD_LETTER_HEADERS, type OutgoingMessage, type TopicRecord } from '@userstream/kafka';
import { OrchestratorContext } from '../app/orchestrator.context';
import { ParamsError } from '../jobs/job.definition';
import { PipelineSettings } from '../pipeline/pipeline.service';
import { PipelineStats } from '../pipeline/pipeline.stats';
import type { RunRecord } from '../runs/run.model';
import { RunStore } from '../runs/run.store';

/** Headers a re-driven record carries (kept on it if it is dead-lettered again). */
export const REDRIVE_HEADERS = {
  /** How many times this record was re-driven from the DLQ. */
  count: 'userstream-redrive-count',
  /** `<dlq topic>/<partition>/<offset>` it was re-driven from. */
  from: 'userstream-redriven-from',
} as const;

/** A record re-driven this many times is not re-driven again: it stays in the DLQ for a person to look at. */
export const MAX_REDRIVES = 3;
/** The pseudo-job under which re-drives are recorded in the run history. */
export const REDRIVE_JOB = 'dlq_redrive';
/** Most offsets one request may name, and most DLQ records one re-drive looks at. */
export const MAX_REDRIVE_RECORDS = 5000;
const READ_CHUNK = 500;

/** What to re-drive: some offsets of one DLQ partition, or every record of one reason in it. */
export interface RedriveRequest {
  partition: number;
  offsets?: number[];
  reason?: string;
}

/** Checks a re-drive request body (hostile input gets a ParamsError, a 400). */
export function parseRedriveRequest(body: unknown): RedriveRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ParamsError('body: must be a JSON object');
  const { partition, offsets, reason, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new ParamsError(`unknown fields: ${Object.keys(rest).slice(0, 5).join(', ')}`);
  if (typeof partition !== 'number' || !Number.isSafeInteger(partition) || partition < 0 || partition > 100_000)
    throw new ParamsError('partition: must be an integer from 0 to 100000');
  if ((offsets === undefined) === (reason === undefined)) throw new ParamsError('name either offsets or reason');
  if (offsets !== undefined) {
    if (!Array.isArray(offsets) || offsets.length === 0 || offsets.length > MAX_REDRIVE_RECORDS)
      throw new ParamsError(`offsets: must be a list of 1 to ${MAX_REDRIVE_RECORDS} offsets`);
    for (const o of offsets)
      if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw new ParamsError('offsets: each must be a non-negative integer');
    return { partition, offsets: [...new Set(offsets as number[])].sort((a, b) => a - b) };
  }
  if (typeof reason !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(reason)) throw new ParamsError('reason: must be an error code');
  return { partition, reason };
}

/** The record to produce for a dead letter: its original key, value and headers, the DLQ headers dropped, the re-drive count raised. */
export function redriveMessage(record: TopicRecord, dlqTopic: string): OutgoingMessage {
  const headers: Record<string, string> = {};
  const dlqNames = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  for (const [name, value] of Object.entries(record.headers)) if (!dlqNames.has(name)) headers[name] = value;
  headers[REDRIVE_HEADERS.count] = String(redriveCount(record) + 1);
  headers[REDRIVE_HEADERS.from] = `${dlqTopic}/${record.partition}/${record.offset}`;
  return { key: record.key, value: record.value, headers };
}

/** How many times a record was re-driven already. */
export function redriveCount(record: TopicRecord): number {
  const n = Number(record.headers[REDRIVE_HEADERS.count] ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * Re-drives dead letters to the pipeline's topic after a fix: the chosen
 * records of one DLQ partition (by offset, or all of one reason) are produced
 * again with their original key, value and headers and a re-drive count. A
 * record that fails again is dead-lettered again by the stream-processor with
 * its count (the original headers are kept on dead letters); one re-driven
 * {@link MAX_REDRIVES} times is refused, so nothing loops. Every re-drive is
 * recorded in the run history as a run of job `dlq_redrive`: who, when, how
 * many, which offsets.
 */
@Injectable()
export class DlqRedrive {
  private readonly logger: Logger;

  constructor(
    private readonly settings: PipelineSettings,
    private readonly stats: PipelineStats,
    private readonly store: RunStore,
    context: OrchestratorContext,
  ) {
    this.logger = componentLogger(context.logger, 'dlq-redrive');
  }

  async redrive(request: RedriveRequest, user: string): Promise<RunRecord> {
    const reader = this.stats.topicReader();
    const producer = this.stats.producer();
    if (!reader || !producer) throw new Error('this orchestrator cannot read or write records');
    const dlqTopic = `${this.settings.topic}.dlq`;
    const startedAt = new Date().toISOString();
    const chosen = await this.select(request, dlqTopic);
    const refused = chosen.filter((r) => redriveCount(r) >= MAX_REDRIVES);
    const sent = chosen.filter((r) => redriveCount(r) < MAX_REDRIVES);
    let error: string | undefined;
    let acknowledged = 0;
    if (sent.length > 0) {
      try {
        const report = await producer.sendMessages(
          this.settings.topic,
          sent.map((r) => redriveMessage(r, dlqTopic)),
        );
        acknowledged = report.acknowledged;
        if (report.failed > 0) error = `${report.failed} of ${sent.length} records were not acknowledged by Kafka`;
      } catch (e) {
        error = describeError(e);
      }
    }
    const endedAt = new Date().toISOString();
    const state = error ? 'failed' : 'success';
    const run: RunRecord = {
      id: types.TimeUuid.now().toString(),
      job: REDRIVE_JOB,
      trigger: 'manual',
      state,
      tryNumber: 1,
      maxTries: 1,
      params: {
        by: user,
        from: dlqTopic,
        to: this.settings.topic,
        partition: request.partition,
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
        redriven: acknowledged,
        offsets: sent.map((r) => r.offset),
        ...(refused.length > 0 ? { refused: refused.map((r) => r.offset), refusedBecause: `re-driven ${MAX_REDRIVES} times already` } : {}),
      },
      queuedAt: startedAt,
      startedAt,
      endedAt,
      ...(error ? { error } : {}),
      tries: [{ tryNumber: 1, state, startedAt, endedAt, ...(error ? { error } : {}) }],
      rowsWritten: { state: 'unknown', value: null, reason: 're-driven records are written as the stream-processor gets to them' },
    };
    await this.store.saveRun(run);
    this.logger.info(
      { runId: run.id, by: user, partition: request.partition, reason: request.reason, redriven: acknowledged, refused: refused.length },
      'dead letters re-driven',
    );
    return run;
  }

  /** The DLQ records the request names, read in chunks from the partition. */
  private async select(request: RedriveRequest, dlqTopic: string): Promise<TopicRecord[]> {
    const reader = this.stats.topicReader();
    if (!reader) return [];
    const wanted = request.offsets ? new Set(request.offsets) : undefined;
    const out: TopicRecord[] = [];
    let from = request.offsets ? request.offsets[0] : 0;
    const until = request.offsets ? request.offsets[request.offsets.length - 1] + 1 : Number.MAX_SAFE_INTEGER;
    let looked = 0;
    while (from < until && looked < MAX_REDRIVE_RECORDS) {
      const chunk = await reader.read({ topic: dlqTopic, partition: request.partition, fromOffset: from, limit: Math.min(READ_CHUNK, until - from) });
      if (chunk.records.length === 0) break;
      for (const record of chunk.records) {
        if (wanted ? wanted.has(record.offset) : record.headers[DEAD_LETTER_HEADERS.errorCode] === request.reason) out.push(record);
      }
      looked += chunk.records.length;
      from = chunk.records[chunk.records.length - 1].offset + 1;
      if (from >= chunk.high) break;
    }
    return out;
  }
}
