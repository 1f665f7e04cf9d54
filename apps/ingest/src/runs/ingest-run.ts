// Over 400 lines: one run's whole life (fetch loop, rate limit, produce, counts, outage waits), kept together so every count changes in one place.
import { AbortError, RateLimiter, TaskSet, TypedEmitter, describeError, raceAbort, silentLogger, type Logger } from '@userstream/core';
import { MAX_PAGE } from '@userstream/randomuser-client';
import { InvalidRecordError, fromRandomUser, type UserRecordV2 } from '@userstream/user-schema';
import type { RunCounts, RunErrorEntry, RunOffsets, RunParams, RunState, RunStatus } from '@userstream/ingest-contract';
import { systemClock, type RunClock } from './run.clock';

/** Where a run's users come from: one API page per call (the randomuser client in the app). */
export interface UserSource {
  fetchPage(params: { seed: string; page: number; results: number; nat?: string; signal: AbortSignal }): Promise<{ results: readonly unknown[] }>;
}

/** How one `send` ended: how many records the broker acknowledged, and why the rest were not. */
export interface SendOutcome {
  acknowledged: number;
  /** Set when some records were not acknowledged. */
  error?: Error & { code?: string };
}

/** Where a run's records go (a Kafka topic in the app). */
export interface RunSink {
  /** Prepares the destination (topic, schema id); called once before the first send. Throws when it cannot. */
  open(): Promise<void>;
  /** Sends records; resolves once every record is acknowledged or failed. Never rejects. */
  send(records: readonly UserRecordV2[]): Promise<SendOutcome>;
  /** Called once after every send settled: the offsets the records were written at, when known. */
  close(): Promise<RunOffsets | undefined>;
  /** Set while sends are stuck waiting for the destination (e.g. Kafka unreachable) and being retried. */
  waiting?(): { since: number; reason: string } | undefined;
}

/** Events of one run, for metrics. */
export type IngestRunEvents = {
  'run.page_fetched': { runId: string; page: number; records: number };
  'run.records_checked': { runId: string; valid: number; invalid: number };
  'run.records_produced': { runId: string; records: number };
  'run.records_acknowledged': { runId: string; records: number };
  'run.finished': { runId: string; state: RunState; status: RunStatus };
};

/** Options of {@link IngestRun}. */
export interface IngestRunOptions {
  id: string;
  params: RunParams;
  source: UserSource;
  sink: RunSink;
  /** API pages in flight at once, fetched ahead of the page being produced. Default 2. */
  fetchConcurrency?: number;
  /** Records not yet acknowledged that a run may have outstanding before it waits. Default 2 pages. */
  maxPendingRecords?: number;
  /** Clock for the duration bound and the rate limit. Default the system clock. */
  clock?: RunClock;
  /** Wall clock in ms since the epoch (`ingestedAt`, `startedAt`). Default `Date.now`. */
  wallClock?: () => number;
  logger?: Logger;
  /** Least time between two log lines about invalid records, in ms. Default 5000. */
  invalidLogIntervalMs?: number;
}

interface PendingPage {
  page: number;
  size: number;
  promise: Promise<FetchedPage>;
}

interface FetchedPage {
  page: number;
  results: readonly unknown[];
  ingestedAt: number;
}

/** Distinct error messages kept per run; more are folded into one entry per code. */
const MAX_ERROR_KINDS = 20;
/** With a rate, pages are fetched ahead only while fewer than this many seconds of records are at hand. */
const PREFETCH_SECONDS = 5;

/**
 * One ingest run: pulls users page by page from a {@link UserSource} (a few
 * pages fetched ahead), maps each to a v2 record, and sends the valid ones
 * to a {@link RunSink} in page order, until its bound (a record count, a
 * duration, or both), a cancel, or a failure. Broken API records are counted
 * and logged (rate-limited), never sent. Whatever ends the run, every send
 * is settled before the run reports its final state, so `acknowledged` is
 * exact. Framework-free: the HTTP service and the command line share it.
 */
export class IngestRun {
  readonly id: string;
  readonly events = new TypedEmitter<IngestRunEvents>();
  private readonly params: RunParams;
  private readonly source: UserSource;
  private readonly sink: RunSink;
  private readonly fetchConcurrency: number;
  private readonly maxPendingRecords: number;
  private readonly clock: RunClock;
  private readonly wallClock: () => number;
  private readonly log: Logger;
  private readonly invalidLogIntervalMs: number;
  private readonly limiter?: RateLimiter;
  private readonly chunkSize: number;

  private state: RunState = 'running';
  private readonly startedAt: number;
  private endedAt?: number;
  private readonly counts: RunCounts = { pagesFetched: 0, fetched: 0, valid: 0, invalid: 0, discarded: 0, produced: 0, acknowledged: 0 };
  /** Users received and not yet checked; they become `discarded` when the run ends first. */
  private unchecked = 0;
  private nextPage: number;
  private offsets?: RunOffsets;
  private readonly errors = new Map<string, RunErrorEntry>();
  private failure?: string;
  private cancelReason?: string;

  /** Aborted when the run must stop taking work: bound reached, cancel, or failure. */
  private readonly stop = new AbortController();
  /** Aborted to cut fetches in flight short. */
  private readonly fetchAbort = new AbortController();
  private readonly fetches = new TaskSet();
  private readonly sends = new TaskSet();
  private pendingRecords = 0;
  private lastInvalidLog = -Infinity;
  private suppressedInvalidLogs = 0;
  private started?: Promise<RunStatus>;
  private pumped = false;
  /** Pages requested and not yet handed over, in page order. */
  private readonly window: PendingPage[] = [];
  private nextToFetch: number;
  /** Users asked for so far. */
  private requested = 0;
  /** Users of the current page not handed over yet. */
  private unconsumed = 0;

  constructor(options: IngestRunOptions) {
    this.id = options.id;
    this.params = { ...options.params };
    this.source = options.source;
    this.sink = options.sink;
    this.fetchConcurrency = Math.max(1, options.fetchConcurrency ?? 2);
    this.maxPendingRecords = options.maxPendingRecords ?? 2 * this.params.pageSize;
    this.clock = options.clock ?? systemClock;
    this.wallClock = options.wallClock ?? Date.now;
    this.log = (options.logger ?? silentLogger).child({ runId: this.id });
    this.invalidLogIntervalMs = options.invalidLogIntervalMs ?? 5000;
    this.startedAt = this.wallClock();
    this.nextPage = this.params.startPage;
    this.nextToFetch = this.params.startPage;
    if (this.params.rate !== undefined) {
      // About ten sends a second keeps the rate smooth without tiny requests.
      this.chunkSize = Math.max(1, Math.min(this.params.pageSize, Math.ceil(this.params.rate / 10)));
      const clock = this.clock;
      this.limiter = new RateLimiter({
        perSecond: this.params.rate,
        burst: this.chunkSize,
        now: () => clock.now(),
        sleep: (ms, signal) => clock.sleep(ms, signal),
      });
    } else {
      this.chunkSize = this.params.pageSize;
    }
  }

  /** True until the run reached a final state. */
  get active(): boolean {
    return this.state === 'running';
  }

  /** A snapshot of the run's state, counts, cursor and errors. */
  status(): RunStatus {
    const waiting = this.state === 'running' && this.sends.size > 0 ? this.sink.waiting?.() : undefined;
    return {
      id: this.id,
      state: this.state,
      params: { ...this.params },
      startedAt: new Date(this.startedAt).toISOString(),
      ...(this.endedAt === undefined ? {} : { endedAt: new Date(this.endedAt).toISOString() }),
      counts: { ...this.counts },
      cursor: { seed: this.params.seed, startPage: this.params.startPage, nextPage: this.nextPage },
      ...(this.offsets === undefined ? {} : { offsets: { topic: this.offsets.topic, partitions: this.offsets.partitions.map((p) => ({ ...p })) } }),
      errors: [...this.errors.values()].map((e) => ({ ...e })),
      ...(this.failure !== undefined
        ? { error: this.failure }
        : this.cancelReason !== undefined && this.state === 'cancelled'
          ? { error: this.cancelReason }
          : {}),
      ...(waiting === undefined ? {} : { waiting: { for: 'kafka' as const, since: new Date(waiting.since).toISOString(), reason: waiting.reason } }),
    };
  }

  /** Starts the run (once; later calls return the same promise). Resolves with the final status; never rejects. */
  start(): Promise<RunStatus> {
    this.started ??= this.execute();
    return this.started;
  }

  /** The final status, once the run is over. Starts the run if it was not. */
  get done(): Promise<RunStatus> {
    return this.start();
  }

  /**
   * Asks the run to stop: no new fetches, nothing more is sent, what is in
   * flight is flushed, then the state becomes `cancelled` (unless the run was
   * already over, or a failure comes first). Returns at once; await {@link done}.
   */
  cancel(reason = 'cancelled by request'): void {
    // Once every page is handed over, only the flush is left: nothing to cancel.
    if (this.state !== 'running' || this.stop.signal.aborted || this.pumped) return;
    this.cancelReason = reason;
    this.log.info({ reason }, 'run cancel requested');
    this.halt();
  }

  private halt(): void {
    this.stop.abort();
    this.fetchAbort.abort();
  }

  private async execute(): Promise<RunStatus> {
    const timer = new AbortController();
    this.log.info({ params: this.params }, 'run started');
    try {
      await this.sink.open();
      if (!this.stop.signal.aborted) {
        if (this.params.durationSeconds !== undefined) {
          this.clock.sleep(this.params.durationSeconds * 1000, timer.signal).then(
            () => this.halt(),
            () => undefined,
          );
        }
        await this.pump();
      }
    } catch (error) {
      this.fail(error, 'RUN_FAILED', '');
    } finally {
      this.pumped = true;
      timer.abort();
    }
    await this.finish();
    return this.status();
  }

  /** Fetches pages ahead and hands them over in order until a bound, a stop or a failure. */
  private async pump(): Promise<void> {
    const signal = this.stop.signal;
    this.refill();
    while (this.window.length > 0 && !signal.aborted) {
      const head = this.window.shift() as PendingPage;
      let page: FetchedPage;
      try {
        page = await raceAbort(head.promise, signal);
      } catch (error) {
        if (signal.aborted && error instanceof AbortError) return;
        this.fail(error, 'API_FAILED', `randomuser API, page ${head.page}: `);
        return;
      }
      this.unconsumed = page.results.length;
      this.refill();
      await this.producePage(page);
      this.unconsumed = 0;
    }
    const { records } = this.params;
    if (!signal.aborted && this.nextToFetch > MAX_PAGE && (records === undefined || this.requested < records)) {
      this.addError('PAGE_LIMIT', `stopped at page ${MAX_PAGE}, the API's last page of a seed; start another run with a new seed to go on`);
      this.log.warn({ page: MAX_PAGE }, 'run reached the last API page of its seed');
    }
  }

  /**
   * Starts fetches until `fetchConcurrency` pages are in flight or waiting,
   * the record bound is covered, or (with a rate) about
   * {@link PREFETCH_SECONDS} of records are at hand: a slow run does not pull
   * pages it may never send.
   */
  private refill(): void {
    const { records, pageSize, rate } = this.params;
    const lookahead = rate === undefined ? Infinity : Math.max(1, rate * PREFETCH_SECONDS);
    while (
      this.window.length < this.fetchConcurrency &&
      !this.stop.signal.aborted &&
      this.nextToFetch <= MAX_PAGE &&
      (records === undefined || this.requested < records) &&
      this.unconsumed + this.window.reduce((sum, p) => sum + p.size, 0) < lookahead
    ) {
      const size = records === undefined ? pageSize : Math.min(pageSize, records - this.requested);
      this.window.push({ page: this.nextToFetch, size, promise: this.fetch(this.nextToFetch, size) });
      this.requested += size;
      this.nextToFetch++;
    }
  }

  private fetch(page: number, results: number): Promise<FetchedPage> {
    const request = {
      seed: this.params.seed,
      page,
      results,
      ...(this.params.nat === undefined ? {} : { nat: this.params.nat }),
      signal: this.fetchAbort.signal,
    };
    const promise = Promise.resolve()
      .then(() => this.source.fetchPage(request))
      .then((response) => {
        const ingestedAt = this.wallClock();
        this.counts.pagesFetched++;
        this.counts.fetched += response.results.length;
        this.unchecked += response.results.length;
        this.events.emitLazy('run.page_fetched', () => ({ runId: this.id, page, records: response.results.length }));
        this.log.debug({ page, records: response.results.length }, 'page fetched');
        return { page, results: response.results, ingestedAt };
      });
    // Pages fetched ahead may never be awaited (the run stopped first): their failure is not an error.
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.fetches.track(settled);
    return promise;
  }

  private async producePage(page: FetchedPage): Promise<void> {
    const signal = this.stop.signal;
    const { results } = page;
    for (let from = 0; from < results.length; from += this.chunkSize) {
      const to = Math.min(results.length, from + this.chunkSize);
      if (this.limiter) {
        try {
          await this.limiter.take(to - from, signal);
        } catch (error) {
          if (error instanceof AbortError) return;
          throw error;
        }
      }
      if (signal.aborted) return;
      const valid: UserRecordV2[] = [];
      let invalid = 0;
      for (let i = from; i < to; i++) {
        try {
          valid.push(fromRandomUser(results[i], { ingestedAt: page.ingestedAt }));
        } catch (error) {
          if (!(error instanceof InvalidRecordError)) throw error;
          invalid++;
          this.invalidRecord(error, page.page, i);
        }
      }
      this.nextPage = Math.max(this.nextPage, page.page + 1);
      this.unchecked -= to - from;
      this.counts.valid += valid.length;
      this.counts.invalid += invalid;
      this.events.emitLazy('run.records_checked', () => ({ runId: this.id, valid: valid.length, invalid }));
      if (valid.length > 0) {
        await this.waitForRoom();
        this.send(valid);
      }
      this.unconsumed = results.length - to;
      this.refill();
    }
  }

  /** Waits while too many records are unacknowledged (backpressure from Kafka). */
  private async waitForRoom(): Promise<void> {
    while (this.pendingRecords >= this.maxPendingRecords && this.sends.size > 0) await this.sends.any();
  }

  private send(records: UserRecordV2[]): void {
    // Only the count outlives this call: the records are not kept while Kafka answers.
    const count = records.length;
    this.counts.produced += count;
    this.pendingRecords += count;
    this.events.emitLazy('run.records_produced', () => ({ runId: this.id, records: count }));
    const task = this.sink
      .send(records)
      .catch((error: unknown): SendOutcome => ({ acknowledged: 0, error: error instanceof Error ? error : new Error(describeError(error)) }))
      .then((outcome) => {
        this.pendingRecords -= count;
        this.counts.acknowledged += outcome.acknowledged;
        if (outcome.acknowledged > 0) this.events.emitLazy('run.records_acknowledged', () => ({ runId: this.id, records: outcome.acknowledged }));
        if (outcome.error) {
          const lost = count - outcome.acknowledged;
          this.fail(outcome.error, 'KAFKA_PRODUCE_FAILED', `Kafka did not acknowledge ${lost} of ${count} records: `);
        }
      });
    this.sends.track(task);
  }

  private invalidRecord(error: InvalidRecordError, page: number, index: number): void {
    this.addError(error.code, error.message);
    const now = this.clock.now();
    if (now - this.lastInvalidLog >= this.invalidLogIntervalMs) {
      this.log.warn({ page, index, paths: error.paths, reason: error.message, suppressed: this.suppressedInvalidLogs }, 'invalid API record skipped');
      this.lastInvalidLog = now;
      this.suppressedInvalidLogs = 0;
    } else {
      this.suppressedInvalidLogs++;
    }
  }

  private addError(code: string, message: string): void {
    const key = `${code}\u0000${message}`;
    let entry = this.errors.get(key);
    if (!entry && this.errors.size >= MAX_ERROR_KINDS) {
      const foldedKey = `${code}\u0000*`;
      entry = this.errors.get(foldedKey);
      if (!entry) {
        entry = { code, message: `${code}: further messages not listed`, count: 0 };
        this.errors.set(foldedKey, entry);
      }
    } else if (!entry) {
      entry = { code, message, count: 0 };
      this.errors.set(key, entry);
    }
    entry.count++;
  }

  /** Records the first failure and stops the run; later failures are only counted. */
  private fail(error: unknown, fallbackCode: string, context: string): void {
    const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : fallbackCode;
    const message = `${context}${describeError(error)}`;
    this.addError(code, message);
    if (this.failure === undefined) {
      this.failure = message;
      this.log.error({ code, err: error }, 'run failed');
    }
    this.halt();
  }

  private async finish(): Promise<void> {
    this.fetchAbort.abort();
    // Every send settles (acknowledged or failed) before the run reports its end.
    await this.sends.drain();
    await this.fetches.drain();
    // Whatever was received and never reached: fetched = valid + invalid + discarded.
    this.counts.discarded += this.unchecked;
    this.unchecked = 0;
    try {
      this.offsets = await this.sink.close();
    } catch (error) {
      this.addError('OFFSETS_UNKNOWN', `reading the offsets written: ${describeError(error)}`);
    }
    this.state = this.failure !== undefined ? 'failed' : this.cancelReason !== undefined ? 'cancelled' : 'succeeded';
    this.endedAt = this.wallClock();
    const status = this.status();
    const seconds = (this.endedAt - this.startedAt) / 1000;
    this.log.info(
      { state: this.state, counts: status.counts, cursor: status.cursor, seconds, ...(status.error === undefined ? {} : { error: status.error }) },
      'run finished',
    );
    this.events.emit('run.finished', { runId: this.id, state: this.state, status });
  }
}
