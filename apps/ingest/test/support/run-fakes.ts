// Test doubles for the run engine: a user source backed by the mock API's
// generator (no network), a sink that records what it was sent, and clocks.
import { AbortError, sleep } from '@userstream/core';
import { RandomUserError } from '@userstream/randomuser-client';
import type { UserRecordV2 } from '@userstream/user-schema';
import { generatePage } from '@userstream/tools/mock-api';
import type { RunSink, SendOutcome, UserSource } from '../../src/runs/ingest-run';
import type { RunClock } from '../../src/runs/run.clock';
import type { RunOffsets } from '@userstream/ingest-contract';

export interface FakeSourceOptions {
  /** Delay of every fetch, in ms (real time). */
  delayMs?: number;
  /** Pages answered with this error instead of users. */
  failPages?: Map<number, Error>;
  /** `${page}:${index}` of users served broken (login.uuid removed). */
  brokenUsers?: Set<string>;
}

/** Pages of the mock generator, with optional delays, failures and broken users. */
export class FakeSource implements UserSource {
  readonly requests: Array<{ seed: string; page: number; results: number; nat?: string }> = [];
  inFlight = 0;
  maxInFlight = 0;
  lastSignal?: AbortSignal;

  constructor(private readonly options: FakeSourceOptions = {}) {}

  async fetchPage(params: { seed: string; page: number; results: number; nat?: string; signal: AbortSignal }): Promise<{ results: readonly unknown[] }> {
    this.requests.push({ seed: params.seed, page: params.page, results: params.results, ...(params.nat ? { nat: params.nat } : {}) });
    this.lastSignal = params.signal;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.options.delayMs) await sleep(this.options.delayMs, params.signal);
      if (params.signal.aborted) throw new AbortError();
      const failure = this.options.failPages?.get(params.page);
      if (failure) throw failure;
      const page = generatePage({ seed: params.seed, page: params.page, results: params.results, ...(params.nat ? { nat: params.nat } : {}) });
      const results = page.results.map((user, index) => {
        if (!this.options.brokenUsers?.has(`${params.page}:${index}`)) return user;
        const broken = structuredClone(user) as { login: Record<string, unknown> };
        delete broken.login['uuid'];
        return broken;
      });
      return { results };
    } finally {
      this.inFlight--;
    }
  }
}

/** The ids the generator gives for `pages` (each `[page, size]`) of `seed`. */
export function expectedIds(seed: string, pages: Array<[page: number, size: number]>): string[] {
  return pages.flatMap(([page, size]) => generatePage({ seed, page, results: size }).results.map((u) => (u.login as { uuid: string }).uuid));
}

/** An API failure as the randomuser client reports it after its retries. */
export function apiGaveUp(status = 503): RandomUserError {
  return new RandomUserError(`randomuser API answered HTTP ${status} (gave up after 6 attempts)`, {
    code: 'API_HTTP_ERROR',
    retriable: true,
    details: { status, attempts: 6 },
  });
}

export interface FakeSinkOptions {
  /** Delay of every send, in ms (real time). */
  delayMs?: number;
  /** Records acknowledged in total before every later record fails. */
  acknowledgeAtMost?: number;
  /** Makes `open` fail. */
  openError?: Error;
}

/** Keeps what it was sent; acknowledges up to a limit. */
export class FakeSink implements RunSink {
  readonly sent: UserRecordV2[] = [];
  acknowledged = 0;
  opened = false;
  closed = false;
  inFlight = 0;

  constructor(private readonly options: FakeSinkOptions = {}) {}

  async open(): Promise<void> {
    if (this.options.openError) throw this.options.openError;
    this.opened = true;
  }

  async send(records: readonly UserRecordV2[]): Promise<SendOutcome> {
    this.inFlight++;
    try {
      if (this.options.delayMs) await sleep(this.options.delayMs);
      const room = Math.max(0, (this.options.acknowledgeAtMost ?? Infinity) - this.acknowledged);
      const ok = Math.min(room, records.length);
      this.sent.push(...records.slice(0, ok));
      this.acknowledged += ok;
      if (ok < records.length) {
        const error = Object.assign(new Error(`producing to test: ${records.length - ok} of ${records.length} records not acknowledged`), {
          code: 'KAFKA_PRODUCE_FAILED',
        });
        return { acknowledged: ok, error };
      }
      return { acknowledged: ok };
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<RunOffsets | undefined> {
    this.closed = true;
    return this.acknowledged === 0 ? undefined : { topic: 'test', partitions: [{ partition: 0, first: 0, last: this.acknowledged - 1 }] };
  }
}

/** A clock whose sleeps return at once and move its time forward: waits cost nothing, and `now` says how long they were. */
export class InstantClock implements RunClock {
  private time = 0;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortError();
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** A logger that keeps its lines. */
export function memoryLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const make = (bindings: Record<string, unknown>) => {
    const log = (level: string) => (obj: object | string, msg?: string) => {
      if (typeof obj === 'string') lines.push({ level, obj: { ...bindings }, msg: obj });
      else lines.push({ level, obj: { ...bindings, ...obj }, ...(msg === undefined ? {} : { msg }) });
    };
    const logger = {
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      fatal: log('fatal'),
      child: (more: Record<string, unknown>) => make({ ...bindings, ...more }),
    };
    return logger;
  };
  return { logger: make({}), lines };
}
