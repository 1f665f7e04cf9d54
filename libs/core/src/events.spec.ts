import { TypedEmitter } from './events';
import { waitFor } from './sleep';
import { TimeoutError } from './errors';

describe('TypedEmitter', () => {
  it('builds lazy payloads only when someone listens', () => {
    const events = new TypedEmitter<{ tick: { n: number } }>();
    const build = jest.fn(() => ({ n: 1 }));
    events.emitLazy('tick', build);
    expect(build).not.toHaveBeenCalled();
    const seen: number[] = [];
    const off = events.on('tick', (e) => seen.push(e.n));
    events.emitLazy('tick', build);
    off();
    events.emit('tick', { n: 2 });
    expect(seen).toEqual([1]);
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
  });

  it('names the condition on timeout', async () => {
    await expect(waitFor(() => false, { timeoutMs: 20, intervalMs: 5, description: 'rows to arrive' })).rejects.toThrow(
      new TimeoutError('timed out after 20 ms waiting for rows to arrive'),
    );
  });
});
