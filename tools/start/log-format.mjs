// Turns the apps' pino JSON lines into one readable line per event for the
// person at `npm start`'s terminal: time, app name, level, message, then the
// event's fields as key=value. Our own formatter rather than pino-pretty,
// because three apps share one terminal and each line must carry its app's
// name, and because a live progress line is redrawn under the log lines.

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_NUMBERS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
/** Fields every pino line has; shown elsewhere on the line or not at all. */
const ENVELOPE = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v', 'context']);
/** NestJS's start-up chatter (module wiring, every mapped route): only with LOG_LEVEL=debug. */
const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);
const MAX_VALUE = 120;

const ANSI = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  magenta: '\x1b[35m',
  blue: '\x1b[34m',
  gray: '\x1b[90m',
};
const APP_COLORS = { ingest: 'cyan', 'stream-processor': 'magenta', orchestrator: 'blue' };
const LEVEL_COLORS = { trace: 'gray', debug: 'gray', info: 'green', warn: 'yellow', error: 'red', fatal: 'red' };

/** The numeric pino level of a name (`info` when unknown). */
export function levelNumber(name) {
  return LEVEL_NUMBERS[String(name ?? 'info').toLowerCase()] ?? 30;
}

function paint(enabled, color, text) {
  return enabled ? `${ANSI[color]}${text}${ANSI.reset}` : text;
}

function showValue(value) {
  let text;
  if (typeof value === 'number' && !Number.isInteger(value)) text = String(Math.round(value * 10) / 10);
  else if (typeof value === 'string') text = /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  else if (value instanceof Object && typeof value.message === 'string' && (value.type || value.stack)) text = JSON.stringify(value.message);
  else text = JSON.stringify(value);
  if (text === undefined) text = String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function clock(time) {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  return date.toTimeString().slice(0, 8);
}

/**
 * Formats one output line of an app.
 *
 * @param {string} app the app's name, shown at the start of the line
 * @param {string} line one line the app wrote (pino JSON or plain text)
 * @param {{ color?: boolean, minLevel?: number, width?: number }} [options] `minLevel`: hide events below it (default info)
 * @returns {string | null} the line to print, or null to print nothing
 */
export function formatLogLine(app, line, options = {}) {
  const color = options.color ?? false;
  const minLevel = options.minLevel ?? 30;
  const width = options.width ?? 16;
  const name = paint(color, APP_COLORS[app] ?? 'bold', app.padEnd(width));
  const trimmed = line.replace(/\s+$/, '');
  if (trimmed === '') return null;
  let event;
  if (trimmed.startsWith('{')) {
    try {
      event = JSON.parse(trimmed);
    } catch {
      event = undefined;
    }
  }
  if (!event || typeof event !== 'object' || typeof event.level !== 'number') {
    // Plain text (a banner an app prints on stderr, a stack trace): as it is, under the app's name.
    return `${paint(color, 'dim', clock())} ${name} ${trimmed}`;
  }
  if (event.level < minLevel) return null;
  if (event.level < 40 && minLevel > 20 && NEST_BOOT_CONTEXTS.has(event.context)) return null;
  const level = LEVELS[event.level] ?? String(event.level);
  const fields = Object.entries(event)
    .filter(([key, value]) => !ENVELOPE.has(key) && value !== undefined)
    .map(([key, value]) => `${paint(color, 'dim', `${key}=`)}${showValue(value)}`);
  const message = event.msg ?? '';
  const context = event.context && !NEST_BOOT_CONTEXTS.has(event.context) ? `${paint(color, 'dim', `[${event.context}]`)} ` : '';
  const text = event.level >= 40 ? paint(color, LEVEL_COLORS[level], message) : message;
  return `${paint(color, 'dim', clock(event.time))} ${name} ${paint(color, LEVEL_COLORS[level] ?? 'bold', level.toUpperCase().padEnd(5))} ${context}${text}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

/**
 * Splits a stream's chunks into whole lines.
 *
 * @param {(line: string) => void} onLine
 * @returns {{ push(chunk: Buffer | string): void, end(): void }}
 */
export function lineSplitter(onLine) {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      let newline;
      while ((newline = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, newline));
        rest = rest.slice(newline + 1);
      }
    },
    end() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** 12345.6 -> "12,346". */
export function formatCount(n) {
  return typeof n === 'number' && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}
