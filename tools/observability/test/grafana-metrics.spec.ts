// docker/observability: every metric the Grafana dashboard queries is one
// the apps really export (read from the /metrics of the three built apps,
// started as processes on the dev stack), and the Prometheus scrape config,
// the Grafana provisioning and docker/compose.observability.yaml agree with
// each other and with the apps' ports.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { parse } from 'yaml';
import { startAppProcess, type AppProcess } from '@userstream/tools/testing';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');
const OBS = join(ROOT, 'docker', 'observability');
const dashboard = JSON.parse(readFileSync(join(OBS, 'grafana', 'dashboards', 'userstream.json'), 'utf8')) as { uid: string; panels: Panel[] };
const prometheus = parse(readFileSync(join(OBS, 'prometheus', 'prometheus.yml'), 'utf8')) as PrometheusConfig;
const override = parse(readFileSync(join(ROOT, 'docker', 'compose.observability.yaml'), 'utf8')) as ComposeOverride;
const baseCompose = parse(readFileSync(join(ROOT, 'docker', 'compose.yaml'), 'utf8')) as ComposeOverride;

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
}
interface PrometheusConfig {
  scrape_configs: Array<{
    job_name: string;
    metrics_path: string;
    authorization: { type: string; credentials_file: string };
    static_configs: Array<{ targets: string[]; labels: { app: string } }>;
  }>;
}
interface ComposeOverride {
  services: Record<
    string,
    { image?: string; environment?: Record<string, string>; volumes?: string[]; secrets?: Array<string | { source: string; target: string }> }
  >;
  secrets?: Record<string, { environment?: string }>;
}

const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'abs',
  'clamp_min',
  'clamp_max',
  'vector',
  'scalar',
  'time',
  'label_replace',
]);

/** Metric names in a PromQL expression: identifiers outside label matchers, grouping clauses, ranges and strings, not called as functions. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
    if (m[1] || PROMQL_WORDS.has(m[0])) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Metric families (`# TYPE name type`) of a Prometheus text exposition. */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const METRICS_TOKEN = 'metrics-token-for-the-grafana-test';
const SERVICE_TOKEN = 'service-token-for-the-grafana-test';
const PASSWORD = 'grafana-test-password';

describe('the Grafana dashboard', () => {
  it('reads PromQL with the metric-name extractor the test relies on', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{job="x", le!="+Inf"}[5m])))')).toEqual(['a_bucket']);
    expect(metricNames('sum(rate(a_total[1m])) / sum(rate(b_count[1m])) and on(app) up')).toEqual(['a_total', 'b_count', 'up']);
    expect(queries.length).toBeGreaterThan(25);
  });

  it('queries only the provisioned Prometheus data source, and the scrape job and labels the config gives', () => {
    const datasource = parse(readFileSync(join(OBS, 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    const uid = datasource.datasources[0].uid;
    expect(datasource.datasources[0].url).toBe('http://prometheus:9090');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(uid);
    }
    const jobs = prometheus.scrape_configs.map((c) => c.job_name);
    for (const { expr } of queries) {
      for (const job of expr.matchAll(/job="([^"]+)"/g)) expect(jobs).toContain(job[1]);
    }
  });

  it('scrapes the three apps on their ports with the bearer token file compose provides', () => {
    const [scrape] = prometheus.scrape_configs;
    expect(prometheus.scrape_configs).toHaveLength(1);
    expect(scrape.metrics_path).toBe('/metrics');
    expect(scrape.authorization.type).toBe('Bearer');
    const secret = override.services['prometheus'].secrets?.[0] as { source: string; target: string } | undefined;
    expect(scrape.authorization.credentials_file).toBe(`/run/secrets/${secret?.target}`);
    expect(override.secrets?.[secret?.source ?? '']).toEqual({ environment: 'METRICS_TOKEN' });
    const targets = Object.fromEntries(scrape.static_configs.map((c) => [c.labels.app, c.targets]));
    for (const app of ['ingest', 'stream-processor', 'orchestrator']) {
      expect(targets[app]).toEqual([`${app}:${baseCompose.services[app].environment?.['PORT']}`]);
      // The apps read the token from the same secret file, never from a plain variable.
      expect(override.services[app].environment).toEqual({ METRICS_TOKEN_FILE: `/run/secrets/${secret?.source}` });
      expect(override.services[app].secrets).toEqual([secret?.source]);
    }
    // Every file the override mounts exists.
    for (const service of ['prometheus', 'grafana']) {
      for (const volume of override.services[service].volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('./')) expect(existsSync(join(ROOT, 'docker', source))).toBe(true);
      }
    }
    const provider = parse(readFileSync(join(OBS, 'grafana', 'provisioning', 'dashboards', 'userstream.yaml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(override.services['grafana'].volumes).toContain(`./observability/grafana/dashboards:${provider.providers[0].options.path}:ro`);
  });

  describe('against the apps as processes', () => {
    const suffix = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const names = { topic: `grafana_${suffix}`, keyspace: `grafana_${suffix}`, history: `grafana_hist_${suffix}` };
    const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
    const contactPoints = process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042';
    const localDc = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
    const apps: Record<string, AppProcess> = {};
    const exported = new Map<string, Map<string, string>>();

    /** GET /metrics with the metrics token, as Prometheus sends it. */
    async function scrape(app: AppProcess): Promise<string> {
      const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      return res.text();
    }

    beforeAll(async () => {
      const common = { LOG_LEVEL: 'warn', KAFKA_BROKERS: brokers, KAFKA_TOPIC: names.topic, METRICS_TOKEN, SERVICE_TOKEN };
      const entry = (app: string) => join(ROOT, 'apps', app, 'dist', 'main.js');
      for (const app of ['ingest', 'stream-processor', 'orchestrator']) {
        if (!existsSync(entry(app))) throw new Error(`${entry(app)} is missing: build the apps first (npx nx run-many -t build --projects=tag:type:app)`);
      }
      const cassandra = {
        CASSANDRA_CONTACT_POINTS: contactPoints,
        CASSANDRA_LOCAL_DC: localDc,
        CASSANDRA_KEYSPACE: names.keyspace,
        KAFKA_GROUP_ID: names.topic,
      };
      [apps['ingest'], apps['stream-processor']] = await Promise.all([
        startAppProcess(entry('ingest'), { env: common, timeoutMs: 60_000 }),
        startAppProcess(entry('stream-processor'), { env: { ...common, ...cassandra }, timeoutMs: 60_000 }),
      ]);
      apps['orchestrator'] = await startAppProcess(entry('orchestrator'), {
        env: {
          ...common,
          ...cassandra,
          ORCHESTRATOR_PASSWORD: PASSWORD,
          ORCHESTRATOR_KEYSPACE: names.history,
          ORCHESTRATOR_JOB_PAUSED: 'true',
          ORCHESTRATOR_INGEST_URL: apps['ingest'].url,
          ORCHESTRATOR_PROCESSOR_URL: apps['stream-processor'].url,
        },
        timeoutMs: 60_000,
      });
      for (const [name, app] of Object.entries(apps)) exported.set(name, families(await scrape(app)));
    });

    afterAll(async () => {
      const exits = await Promise.all(Object.values(apps).map((app) => app.stop('SIGTERM')));
      const cassandra = new Client({ contactPoints: contactPoints.split(','), localDataCenter: localDc });
      for (const ks of [names.keyspace, names.history]) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => undefined);
      await cassandra.shutdown();
      const admin = new Kafka({ brokers: brokers.split(','), clientId: 'grafana-test', logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(names.topic));
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    });

    it('every metric a panel queries is exported by at least one app (up comes from Prometheus itself)', () => {
      const all = new Map<string, string>();
      for (const fams of exported.values()) for (const [name, type] of fams) all.set(name, type);
      const missing: string[] = [];
      for (const { panel, expr } of queries) {
        for (const name of metricNames(expr)) {
          if (name === 'up') continue;
          const base = name.replace(/_(bucket|sum|count)$/, '');
          const found = all.has(name) || (base !== name && ['histogram', 'summary'].includes(all.get(base) ?? ''));
          if (!found) missing.push(`${panel}: ${name}`);
        }
      }
      expect(missing).toEqual([]);
      // And the dashboard covers each app's own metrics, not only one app.
      for (const [app, prefix] of [
        ['ingest', 'userstream_ingest_'],
        ['stream-processor', 'userstream_processor_'],
        ['orchestrator', 'userstream_orchestrator_'],
      ] as const) {
        const own = [...(exported.get(app)?.keys() ?? [])].filter((n) => n.startsWith(prefix));
        expect(own.length).toBeGreaterThan(3);
        const queried = new Set(queries.flatMap((q) => metricNames(q.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
        expect({ app, unqueried: own.filter((n) => !queried.has(n)) }).toEqual({ app, unqueried: [] });
      }
    });
  });
});
