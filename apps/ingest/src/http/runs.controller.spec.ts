import { HttpException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../app.module';
import { IngestRun } from '../runs/ingest-run';
import type { RunDeployment, RunParams } from '@userstream/ingest-contract';
import { RunsService, type RunMaker } from '../runs/runs.service';
import { RunsController } from './runs.controller';
import { FakeSink, FakeSource } from '../../test/support/run-fakes';

class FakeMaker implements RunMaker {
  readonly defaults: RunDeployment = { encoding: 'avro', pageSize: 10, schemaRegistry: false };
  readonly runs: IngestRun[] = [];
  constructor(private readonly delayMs = 0) {}
  createRun(id: string, params: RunParams): IngestRun {
    const run = new IngestRun({ id, params, source: new FakeSource({ delayMs: this.delayMs }), sink: new FakeSink() });
    this.runs.push(run);
    return run;
  }
}

async function controllerWith(service: RunsService) {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(service)] }).compile();
  return moduleRef.get(RunsController);
}

function httpError(fn: () => unknown): { status: number; body: unknown } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpException);
    return { status: (error as HttpException).getStatus(), body: (error as HttpException).getResponse() };
  }
  throw new Error('expected an HTTP error');
}

describe('RunsController', () => {
  it('starts a run (202 body is its status), lists it and reports it when done', async () => {
    const maker = new FakeMaker();
    const controller = await controllerWith(new RunsService(maker));
    const started = controller.start({ records: 25, seed: 's' });
    expect(started).toMatchObject({
      state: 'running',
      params: { records: 25, seed: 's', encoding: 'avro', startPage: 1, pageSize: 10 },
      cursor: { seed: 's', startPage: 1, nextPage: 1 },
    });
    expect(started.counts).toEqual({ pagesFetched: 0, fetched: 0, valid: 0, invalid: 0, discarded: 0, produced: 0, acknowledged: 0 });
    await maker.runs[0].done;
    expect(controller.get(started.id)).toMatchObject({ id: started.id, state: 'succeeded', counts: { acknowledged: 25 }, cursor: { nextPage: 4 } });
    expect(controller.list().runs.map((r) => r.id)).toEqual([started.id]);
  });

  it('answers 400 with { error, message } naming the parameter', async () => {
    const controller = await controllerWith(new RunsService(new FakeMaker()));
    expect(httpError(() => controller.start({ records: -1 }))).toEqual({
      status: 400,
      body: { error: 'Bad Request', message: 'records must be an integer from 1 to 10000000 (got -1)' },
    });
    expect(httpError(() => controller.start({ records: 1, colour: 'red' }))).toEqual({
      status: 400,
      body: { error: 'Bad Request', message: expect.stringMatching(/^unknown parameter "colour"/) },
    });
    expect(httpError(() => controller.start(undefined))).toMatchObject({ status: 400 });
  });

  it('answers 404 for an unknown run, on GET and DELETE', async () => {
    const controller = await controllerWith(new RunsService(new FakeMaker()));
    expect(httpError(() => controller.get('nope'))).toEqual({
      status: 404,
      body: { error: 'Not Found', message: 'run nope not found (unknown, or older than the kept history)' },
    });
    await expect(controller.cancel('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('cancels a run on DELETE and answers once it stopped', async () => {
    const maker = new FakeMaker(5);
    const controller = await controllerWith(new RunsService(maker));
    const { id } = controller.start({ durationSeconds: 3600 });
    const status = await controller.cancel(id);
    expect(status).toMatchObject({ id, state: 'cancelled', error: 'cancelled by request' });
    expect(status.endedAt).toBeDefined();
  });

  it('answers 429 beyond the active run limit and lists newest first', async () => {
    const maker = new FakeMaker(5);
    const service = new RunsService(maker, { maxActiveRuns: 2 });
    const controller = await controllerWith(service);
    const a = controller.start({ durationSeconds: 3600 });
    const b = controller.start({ durationSeconds: 3600 });
    expect(httpError(() => controller.start({ durationSeconds: 1 }))).toMatchObject({ status: 429, body: { error: 'Too Many Requests' } });
    expect(controller.list().runs.map((r) => r.id)).toEqual([b.id, a.id]);
    await service.shutdown();
    expect(maker.runs.map((r) => r.status().state)).toEqual(['cancelled', 'cancelled']);
    expect(maker.runs[0].status().error).toBe('cancelled: ingest is shutting down');
    expect(httpError(() => controller.start({ records: 1 }))).toMatchObject({ status: 503 });
  });
});

describe('RunsService', () => {
  it('keeps the last `history` finished runs', async () => {
    const maker = new FakeMaker();
    const service = new RunsService(maker, { history: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(service.start({ records: 1 }).id);
      await maker.runs[i].done;
      // Pruning runs after the run's promise settles.
      await new Promise((r) => setImmediate(r));
    }
    expect(service.list().map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect(service.get(ids[0])).toBeUndefined();
  });
});
