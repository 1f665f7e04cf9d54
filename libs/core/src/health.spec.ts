import { HealthChecks } from './health';

describe('HealthChecks', () => {
  it('bounds a hung check by its timeout', async () => {
    const health = new HealthChecks(30).register('hung', () => new Promise(() => undefined));
    const report = await health.run();
    expect(report.status).toBe('error');
    expect(report.checks.hung).toMatchObject({ ok: false, error: 'no answer within 30 ms' });
  });
});
