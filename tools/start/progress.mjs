// The live progress of the active run under `npm start`'s log lines: records/s,
// produced, written, lag and DLQ depth, from the orchestrator's run history and
// pipeline snapshot (or, without the orchestrator, from ingest's run and the
// stream-processor's metrics). A summary line when the run ends.
import { formatCount } from './log-format.mjs';

const ACTIVE = new Set(['queued', 'running', 'up_for_retry']);
const NOT_A_TERMINAL_EVERY_MS = 10_000;

/**
 * @param {{ url: string, headers?: Record<string, string> }} target
 * @param {string} path
 * @returns {Promise<any>} the parsed JSON body (an orchestrator or ingest view)
 */
async function getJson(target, path) {
  const res = await fetch(`${target.url}${path}`, { headers: target.headers, signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.json();
}

/** Sum of every sample of `name` in a Prometheus text exposition. */
function metricSum(text, name) {
  let sum;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum = (sum ?? 0) + Number(match[1]);
  return sum;
}

const seconds = (fromIso, toIso) => (fromIso ? Math.max(0, Math.round(((toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso)) / 1000)) : 0);

/**
 * @param {{ screen: ReturnType<import('./screen.mjs').createScreen>, access: any, job: string, ingestRunId?: string, say: (msg: string) => void, intervalMs?: number }} options
 */
export function createProgress({ screen, access, job, ingestRunId, say, intervalMs = 1000 }) {
  let timer;
  let busy = false;
  let followed;
  let previous;
  let lastPrinted = 0;
  let draining = false;

  async function viaOrchestrator() {
    const { runs } = await getJson(access.orchestrator, `/api/runs?job=${encodeURIComponent(job)}&limit=1`);
    const run = runs[0];
    if (!run) return undefined;
    const pipeline = await getJson(access.orchestrator, '/api/pipeline');
    return {
      id: run.id,
      state: run.state,
      active: ACTIVE.has(run.state),
      seconds: seconds(run.startedAt ?? run.queuedAt, ACTIVE.has(run.state) ? undefined : run.endedAt),
      rate: pipeline.rates?.inPerSec ?? null,
      produced: run.counts?.acknowledged,
      written: pipeline.apps?.processor?.metrics?.recordsWritten,
      lag: pipeline.kafka?.topic?.lagTotal,
      dlq: pipeline.kafka?.dlq?.depth,
    };
  }

  async function viaIngest() {
    const run = await getJson(access.ingest, `/runs/${ingestRunId}`);
    const metrics = await fetch(`${access.processor.url}/metrics`, { headers: access.processor.headers, signal: AbortSignal.timeout(3000) }).then((r) =>
      r.ok ? r.text() : '',
    );
    const produced = run.counts?.acknowledged ?? 0;
    const now = Date.now();
    const rate = previous && now > previous.at ? ((produced - previous.produced) * 1000) / (now - previous.at) : null;
    previous = { at: now, produced };
    return {
      id: run.id,
      state: run.state,
      active: run.state === 'running',
      seconds: seconds(run.startedAt, run.state === 'running' ? undefined : run.endedAt),
      rate,
      produced,
      written: metricSum(metrics, 'userstream_processor_records_written_total'),
      lag: metricSum(metrics, 'userstream_processor_consumer_lag'),
      dlq: metricSum(metrics, 'userstream_processor_records_dead_lettered_total'),
    };
  }

  const describe = (v) =>
    `${formatCount(v.rate)} records/s · produced ${formatCount(v.produced)} · written ${formatCount(v.written)} · lag ${formatCount(v.lag)} · DLQ ${formatCount(v.dlq)}`;

  async function tick() {
    if (busy) return;
    busy = true;
    try {
      const view = access.orchestrator ? await viaOrchestrator() : await viaIngest();
      if (!view) return;
      if (view.active) {
        followed = view.id;
        const text = `▶ run ${view.id.slice(0, 8)} ${view.state} ${view.seconds} s · ${describe(view)}`;
        if (screen.live) screen.status(text);
        else if (Date.now() - lastPrinted >= NOT_A_TERMINAL_EVERY_MS) {
          lastPrinted = Date.now();
          say(text);
        }
      } else if (followed === view.id) {
        followed = undefined;
        screen.clearStatus();
        const average = view.seconds > 0 && typeof view.produced === 'number' ? ` (${formatCount(view.produced / view.seconds)}/s on average)` : '';
        say(
          `Run ${view.id.slice(0, 8)} ended: ${view.state} after ${view.seconds} s${average}; produced ${formatCount(view.produced)}, written ${formatCount(view.written)}, lag ${formatCount(view.lag)}, DLQ ${formatCount(view.dlq)}.`,
        );
        draining = typeof view.lag === 'number' && view.lag > 0;
      } else if (draining) {
        // The run is over; the stream-processor is still writing what it produced.
        if (typeof view.lag === 'number' && view.lag === 0) {
          draining = false;
          screen.clearStatus();
          say(`Caught up: written ${formatCount(view.written)}, lag 0, DLQ ${formatCount(view.dlq)}.`);
        } else if (screen.live) {
          screen.status(`▶ writing the rest · written ${formatCount(view.written)} · lag ${formatCount(view.lag)} · DLQ ${formatCount(view.dlq)}`);
        }
      }
    } catch {
      // An app busy or restarting: the next tick tries again.
    } finally {
      busy = false;
    }
  }

  return {
    start() {
      void tick();
      timer = setInterval(() => void tick(), intervalMs);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
