import { reconnectRetry } from './producer.options';

/** The delays kafkajs waits between attempts with these settings, without its ±20 % jitter. */
function delays(retry: ReturnType<typeof reconnectRetry>): number[] {
  const out: number[] = [];
  for (let i = 0, delay = retry.initialRetryTime; i < retry.retries; i++, delay = Math.min(delay * retry.multiplier, retry.maxRetryTime)) out.push(delay);
  return out;
}

describe('reconnectRetry', () => {
  it('turns an outage window into kafkajs retries whose delays add up to about the window', () => {
    for (const windowMs of [1_000, 10_000, 60_000, 300_000]) {
      const total = delays(reconnectRetry(windowMs)).reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(windowMs);
      expect(total).toBeLessThan(windowMs + 2_000);
    }
  });

  it('tries again at least every 2 s, so sends resume soon after the broker is back', () => {
    const retry = reconnectRetry(60_000);
    expect(Math.max(...delays(retry))).toBe(2_000);
    expect(retry.maxRetryTime).toBe(2_000);
  });

  it('gives up at once for a window of 0', () => {
    expect(reconnectRetry(0).retries).toBe(0);
  });
});
