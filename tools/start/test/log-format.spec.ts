// The readable lines of `npm start`: unit tests of the formatter.
import { formatLogLine, levelNumber, lineSplitter } from '../log-format.mjs';

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 0, 5), pid: 1, hostname: 'h', name: 'ingest', ...fields });

describe('formatLogLine', () => {
  it('makes one readable line per pino event: time, app, level, message, fields', () => {
    const text = formatLogLine('ingest', line({ msg: 'run started', runId: 'abc', params: { records: 5 }, took: 1.23456, note: 'two words' }), { width: 16 });
    expect(text).toMatch(/^\d\d:\d\d:\d\d ingest {11}INFO {2}run started {2}runId=abc params=\{"records":5\} took=1\.2 note="two words"$/);
    expect(text).not.toContain('{"level"');
    expect(text).not.toMatch(/pid=|hostname=|time=/);
  });

  it('hides events below the level, and NestJS start-up chatter unless at debug', () => {
    expect(formatLogLine('ingest', JSON.stringify({ level: 20, msg: 'detail' }))).toBeNull();
    expect(formatLogLine('ingest', JSON.stringify({ level: 20, msg: 'detail' }), { minLevel: levelNumber('debug') })).toContain('DEBUG');
    expect(formatLogLine('ingest', line({ context: 'RouterExplorer', msg: 'Mapped {/runs, POST} route' }))).toBeNull();
    expect(formatLogLine('ingest', line({ context: 'RouterExplorer', msg: 'Mapped' }), { minLevel: 20 })).toContain('Mapped');
    expect(formatLogLine('ingest', JSON.stringify({ level: 50, msg: 'broke', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n at x' } }))).toMatch(
      /ERROR broke {2}err="boom"$/,
    );
  });

  it('passes plain text through under the app name, drops blank lines, and never echoes a JSON event raw', () => {
    expect(formatLogLine('orchestrator', 'orchestrator dashboard: http://x/ (user admin)')).toMatch(
      /^\d\d:\d\d:\d\d orchestrator {5}orchestrator dashboard: http:\/\/x\/ \(user admin\)$/,
    );
    expect(formatLogLine('ingest', '   ')).toBeNull();
    expect(formatLogLine('ingest', '{not json')).toContain('{not json');
    const long = formatLogLine('ingest', line({ msg: 'x', config: { a: 'y'.repeat(500) } })) ?? '';
    expect(long.length).toBeLessThan(200);
    expect(long).toContain('…');
  });

  it('colors only when asked', () => {
    expect(formatLogLine('ingest', line({ level: 40, msg: 'careful' }))).not.toContain('\x1b[');
    expect(formatLogLine('ingest', line({ level: 40, msg: 'careful' }), { color: true })).toContain('\x1b[33m');
  });
});

describe('lineSplitter', () => {
  it('joins chunks into whole lines and flushes the rest at the end', () => {
    const lines: string[] = [];
    const splitter = lineSplitter((l: string) => lines.push(l));
    splitter.push('{"a":');
    splitter.push('1}\nsecond');
    splitter.push(' line\nthird');
    splitter.end();
    expect(lines).toEqual(['{"a":1}', 'second line', 'third']);
  });
});
