import { appendRunLog, type RunLogEntry } from './run-log';

const entry = (message: string, extra: Partial<RunLogEntry> = {}): RunLogEntry => ({ at: '2025-06-01T10:00:00.000Z', level: 'info', message, ...extra });

describe('appendRunLog', () => {
  it('appends in order, and updates a keyed line where it stands', () => {
    const log: RunLogEntry[] = [];
    appendRunLog(log, entry('queued'));
    appendRunLog(log, entry('1 page', { key: '1:pages' }));
    appendRunLog(log, entry('waiting for Kafka', { level: 'warn' }));
    appendRunLog(log, entry('5 pages', { key: '1:pages', at: '2025-06-01T10:00:05.000Z' }));
    expect(log.map((e) => e.message)).toEqual(['queued', '5 pages', 'waiting for Kafka']);
    expect(log[1].at).toBe('2025-06-01T10:00:05.000Z');
  });

  it('keeps the first line and the newest ones, and counts what it dropped', () => {
    const log: RunLogEntry[] = [];
    for (let i = 0; i < 25; i++) appendRunLog(log, entry(`event ${i}`), { maxEntries: 10, maxMessageChars: 100 });
    expect(log).toHaveLength(10);
    expect(log[0].message).toBe('event 0');
    expect(log[1].message).toBe('16 earlier events dropped (the log keeps the first and the newest 8)');
    expect(log.slice(2).map((e) => e.message)).toEqual(['event 17', 'event 18', 'event 19', 'event 20', 'event 21', 'event 22', 'event 23', 'event 24']);
  });

  it('cuts long messages and flattens control characters, whatever another app sent', () => {
    const log: RunLogEntry[] = [];
    appendRunLog(log, entry(`line one\nline two\u0000${'x'.repeat(50)}`), { maxEntries: 10, maxMessageChars: 30 });
    expect(log[0].message).toHaveLength(30);
    expect(log[0].message).toBe(`line one line two ${'x'.repeat(11)}…`);
  });
});
