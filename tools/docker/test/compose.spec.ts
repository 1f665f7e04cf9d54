// docker/compose.yaml: parsed and cross-checked against the workspace (the
// Dockerfile, the prepared build contexts, the apps' own configuration specs,
// the Kafka and Cassandra versions the tests run against). No Docker engine
// needed; where the `docker compose` CLI plugin exists it is asked too.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { contextDir } from '../build-context.mjs';
import {
  appConfigFields,
  composeFile,
  dependsOn,
  dockerApps,
  dockerPluginOptions,
  execForm,
  interpolate,
  loadCompose,
  parseDockerfile,
  readJson,
  serviceEnv,
  workspaceRoot,
  type ComposeService,
} from './shipping.helpers';

const env = { ORCHESTRATOR_PASSWORD: 'test-password', SERVICE_TOKEN: 'test-service-token-0001' };
const compose = loadCompose(env);
const services = compose.services;
const apps = dockerApps();
const composeDir = dirname(composeFile);
const dockerfile = parseDockerfile(readFileSync(join(workspaceRoot, 'docker', 'Dockerfile'), 'utf8'));

// The official repositories each third-party service must come from.
const officialImages: Record<string, RegExp> = {
  kafka: /^apache\/kafka:(\d+\.\d+\.\d+)$/,
  'schema-registry': /^confluentinc\/cp-schema-registry:\d+\.\d+\.\d+$/,
  cassandra: /^cassandra:(5\.0)(\.\d+)?$/,
  'randomuser-mock': /^node:(\d+)-bookworm-slim$/,
};

function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`missing: ${what}`);
  return value;
}

function pomVersion(pom: string, property: string): string {
  const match = new RegExp(`<${property}>([^<]+)</${property}>`).exec(readFileSync(join(workspaceRoot, 'tools', 'stack', pom), 'utf8'));
  if (!match) throw new Error(`tools/stack/${pom} has no <${property}>`);
  return match[1];
}

/** host_ip:published:target of a short-syntax port mapping. */
function portMapping(port: ComposeService['ports'] extends Array<infer P> | undefined ? P : never) {
  if (typeof port !== 'string') return { published: String(port.published), target: String(port.target) };
  const parts = port.split(':');
  return { hostIp: parts.length === 3 ? parts[0] : undefined, published: parts[parts.length - 2], target: parts[parts.length - 1] };
}

function healthcheckTest(service: ComposeService): string[] {
  const test = service.healthcheck?.test;
  if (!test || service.healthcheck?.disable) return [];
  return typeof test === 'string' ? ['CMD-SHELL', test] : test;
}

/** `service:port` references in a value (host:port lists and URLs). */
function references(value: string): Array<{ service: string; port: string }> {
  const names = Object.keys(services)
    .map((s) => s.replace(/[-]/g, '\\-'))
    .join('|');
  return [...value.matchAll(new RegExp(`(?:^|[/,\\s])(${names}):(\\d+)`, 'g'))].map((m) => ({ service: m[1], port: m[2] }));
}

/** The port a service listens on inside the network, as its own configuration says. */
function listenPorts(name: string): string[] {
  const service = services[name];
  const own = serviceEnv(service);
  if (name === 'kafka') {
    return own.KAFKA_ADVERTISED_LISTENERS.split(',')
      .map((l) => /^INTERNAL:\/\/kafka:(\d+)$/.exec(l)?.[1])
      .filter((p): p is string => !!p);
  }
  if (name === 'schema-registry') return [new URL(own.SCHEMA_REGISTRY_LISTENERS).port];
  if (name === 'cassandra') return ['9042'];
  if (name === 'randomuser-mock') return [own.MOCK_API_PORT];
  return [own.PORT];
}

describe('docker/compose.yaml', () => {
  it('parses and holds the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(['cassandra', 'kafka', 'randomuser-mock', 'schema-registry', ...apps].sort());
  });

  it('takes Kafka, Schema Registry, Cassandra and Node from their official images, pinned, and builds only the apps', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        expect(apps).toContain(name);
        expect(service.image).toMatch(new RegExp(`^${dockerPluginOptions().imagePrefix ?? 'userstream'}/${name}:`));
      } else {
        expect(officialImages[name]).toBeDefined();
        expect(service.image).toMatch(officialImages[name]);
      }
    }
    // The versions the workspace's own tests run against (tools/stack).
    const tag = (name: string) => must(officialImages[name].exec(String(services[name].image)), `${name} image`)[1];
    expect(tag('kafka')).toBe(pomVersion('kafka/pom.xml', 'kafka.version'));
    expect(tag('cassandra')).toBe(pomVersion('cassandra/pom.xml', 'cassandra.version').split('.').slice(0, 2).join('.'));
    // The mock runs on the same Node major as the app images.
    const nodeMajor = must(
      dockerfile.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_MAJOR=')),
      'ARG NODE_MAJOR',
    ).args.split('=')[1];
    expect(tag('randomuser-mock')).toBe(nodeMajor);
  });

  it.each(apps)('builds %s from its prepared context, with the Dockerfile, port and health check of the image', (app) => {
    const service = services[app];
    const build = typeof service.build === 'string' ? { context: service.build } : must(service.build, `${app} build`);
    const context = resolve(composeDir, build.context);
    expect(context).toBe(contextDir(`apps/${app}`));
    const dockerfilePath = resolve(context, build.dockerfile ?? 'Dockerfile');
    expect(existsSync(dockerfilePath)).toBe(true);
    expect(readFileSync(dockerfilePath, 'utf8')).toBe(readFileSync(join(workspaceRoot, 'docker', 'Dockerfile'), 'utf8'));

    const port = String(dockerPluginOptions().ports?.[app]);
    expect(build.args?.APP_PORT).toBe(port);
    // The app's node flags (its heap bound), as docker-build passes them.
    expect(build.args?.APP_NODE_OPTIONS ?? '').toBe(readJson(join(workspaceRoot, 'apps', app, 'package.json')).userstream?.nodeOptions ?? '');
    expect(serviceEnv(service).PORT).toBe(port);
    expect(service.ports?.map(portMapping)).toEqual([{ hostIp: '127.0.0.1', published: port, target: port }]);

    const imageCheck = must(
      dockerfile.find((i) => i.keyword === 'HEALTHCHECK'),
      'HEALTHCHECK',
    );
    expect(healthcheckTest(service)).toEqual(['CMD', ...execForm(imageCheck.args)]);
    // More than the apps' graceful shutdown bound (SHUTDOWN_TIMEOUT_MS) before docker kills them.
    const shutdown = appConfigFields(app).find((f) => f.env === 'SHUTDOWN_TIMEOUT_MS');
    expect(Number(String(service.stop_grace_period).replace(/s$/, '')) * 1000).toBeGreaterThan(Number(shutdown?.default ?? 10_000));
  });

  it('starts every service only after what it depends on is healthy', () => {
    let edges = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, options] of Object.entries(dependsOn(service))) {
        edges++;
        expect({ name, dep, exists: dep in services }).toEqual({ name, dep, exists: true });
        expect({ name, dep, condition: options.condition }).toEqual({ name, dep, condition: 'service_healthy' });
        expect(healthcheckTest(services[dep]).length).toBeGreaterThan(1);
        // A service in no profile may not wait for one that only some profiles start.
        if (!services[name].profiles) expect(services[dep].profiles).toBeUndefined();
      }
    }
    expect(edges).toBeGreaterThanOrEqual(apps.length);
    // Kafka, Schema Registry and Cassandra have health checks of their own too.
    for (const name of ['kafka', 'schema-registry', 'cassandra']) expect(healthcheckTest(services[name]).length).toBeGreaterThan(1);
  });

  it('keeps Kafka and Cassandra data in named volumes', () => {
    const mounts = (name: string) => (services[name].volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':') : [v.source, v.target]));
    expect(mounts('kafka')).toContainEqual(['kafka-data', serviceEnv(services.kafka).KAFKA_LOG_DIRS]);
    expect(mounts('cassandra')).toContainEqual(['cassandra-data', '/var/lib/cassandra']);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['cassandra-data', 'kafka-data']);
  });

  it('configures one KRaft node that advertises itself to the containers and to the host', () => {
    const kafka = serviceEnv(services.kafka);
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Buffer.from(kafka.CLUSTER_ID, 'base64url')).toHaveLength(16);
    const listeners = Object.fromEntries(kafka.KAFKA_LISTENERS.split(',').map((l) => l.split('://')));
    expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${kafka.KAFKA_NODE_ID}@kafka${listeners.CONTROLLER}`);
    expect(kafka.KAFKA_ADVERTISED_LISTENERS.split(',').sort()).toEqual([`HOST://localhost${listeners.HOST}`, `INTERNAL://kafka${listeners.INTERNAL}`]);
    expect(services.kafka.ports?.map(portMapping)).toEqual([{ hostIp: '127.0.0.1', published: listeners.HOST.slice(1), target: listeners.HOST.slice(1) }]);
  });

  it('wires every address to a service of the stack, on the port that service listens on', () => {
    let checked = 0;
    for (const name of apps) {
      for (const [variable, value] of Object.entries(serviceEnv(services[name]))) {
        for (const ref of references(value)) {
          checked++;
          expect({ name, variable, ref, listens: listenPorts(ref.service) }).toEqual({ name, variable, ref, listens: expect.arrayContaining([ref.port]) });
        }
      }
    }
    const envOf = (app: string) => serviceEnv(services[app]);
    expect(envOf('stream-processor')).toMatchObject({
      KAFKA_BROKERS: 'kafka:19092',
      CASSANDRA_CONTACT_POINTS: 'cassandra:9042',
      CASSANDRA_LOCAL_DC: 'datacenter1',
    });
    expect(envOf('ingest').RANDOMUSER_BASE_URL).toBe('https://randomuser.me/api/');
    expect(envOf('orchestrator')).toMatchObject({ ORCHESTRATOR_INGEST_URL: 'http://ingest:3001', ORCHESTRATOR_PROCESSOR_URL: 'http://stream-processor:3002' });
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('points ingest, the stream-processor and the orchestrator at the same topic, consumer group and table', () => {
    const ingest = serviceEnv(services.ingest);
    const processor = serviceEnv(services['stream-processor']);
    const orchestrator = serviceEnv(services.orchestrator);
    expect(processor.KAFKA_TOPIC).toBe(ingest.KAFKA_TOPIC);
    expect(orchestrator.KAFKA_TOPIC).toBe(ingest.KAFKA_TOPIC);
    expect(orchestrator.KAFKA_GROUP_ID).toBe(processor.KAFKA_GROUP_ID);
    expect(orchestrator.CASSANDRA_KEYSPACE).toBe(processor.CASSANDRA_KEYSPACE);
    // The orchestrator counts rows of a table the processor writes.
    const written = processor.CASSANDRA_TABLES.split(',').map((t) =>
      t.trim() === 'reference' ? (processor.CASSANDRA_REFERENCE_TABLE ?? 'users_created') : (processor.CASSANDRA_USERS_TABLE ?? 'users'),
    );
    expect(written).toContain(orchestrator.CASSANDRA_USERS_TABLE);
  });

  it('refuses to start without ORCHESTRATOR_PASSWORD or SERVICE_TOKEN, and the mock profile points ingest at the mock', () => {
    expect(() => loadCompose({ SERVICE_TOKEN: 'x' })).toThrow(/ORCHESTRATOR_PASSWORD/);
    expect(() => loadCompose({ ORCHESTRATOR_PASSWORD: 'x' })).toThrow(/SERVICE_TOKEN/);
    expect(compose.secrets).toEqual({ orchestrator_password: { environment: 'ORCHESTRATOR_PASSWORD' }, service_token: { environment: 'SERVICE_TOKEN' } });
    const raw = loadCompose();
    const withMock = interpolate(String(serviceEnv(raw.services.ingest).RANDOMUSER_BASE_URL), { RANDOMUSER_BASE_URL: 'http://randomuser-mock:3100/api/' });
    expect(references(withMock)).toEqual([{ service: 'randomuser-mock', port: listenPorts('randomuser-mock')[0] }]);
    expect(readFileSync(composeFile, 'utf8')).toContain(
      'RANDOMUSER_BASE_URL=http://randomuser-mock:3100/api/ docker compose -f docker/compose.yaml --profile mock up',
    );
  });

  it('runs the randomuser mock from tools/mock-api, mounted read-only, only in the mock profile', () => {
    const mock = services['randomuser-mock'];
    expect(mock.profiles).toEqual(['mock']);
    const [mount] = (mock.volumes ?? []) as string[];
    const [source, target, mode] = mount.split(':');
    expect(resolve(composeDir, source)).toBe(join(workspaceRoot, 'tools', 'mock-api'));
    expect(mode).toBe('ro');
    expect(mock.working_dir).toBe(target);
    const [node, script] = mock.command as string[];
    expect(node).toBe('node');
    expect(existsSync(join(workspaceRoot, 'tools', 'mock-api', script))).toBe(true);
    expect(healthcheckTest(mock).join(' ')).toContain(`127.0.0.1:${serviceEnv(mock).MOCK_API_PORT}/`);
  });

  it.each(apps)('sets only variables %s reads, and every one it requires', (app) => {
    const fields = appConfigFields(app);
    expect(fields.length).toBeGreaterThan(0);
    // A secret may also come as a file, <NAME>_FILE.
    const known = new Set([...fields.map((f) => f.env), ...fields.filter((f) => f.secret).map((f) => `${f.env}_FILE`)]);
    const given = Object.keys(serviceEnv(services[app]));
    expect(given.filter((variable) => !known.has(variable))).toEqual([]);
    const required = fields.filter((f) => f.default === undefined && !f.optional).map((f) => f.env);
    expect(required.filter((variable) => !given.includes(variable) && !given.includes(`${variable}_FILE`))).toEqual([]);
  });

  it.each(apps)('hands %s its secrets as files, never as environment variables', (app) => {
    const service = services[app];
    const secretFields = appConfigFields(app)
      .filter((f) => f.secret)
      .map((f) => f.env);
    const given = serviceEnv(service);
    expect(Object.keys(given).filter((variable) => secretFields.includes(variable))).toEqual([]);
    const mounted = (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
    const files = Object.entries(given).filter(([variable]) => variable.endsWith('_FILE') && secretFields.includes(variable.slice(0, -'_FILE'.length)));
    expect(files.length).toBeGreaterThan(0);
    for (const [, path] of files) expect(mounted.map((name) => `/run/secrets/${name}`)).toContain(path);
    // Ingest and the stream-processor demand SERVICE_TOKEN; the orchestrator sends the same one.
    expect(given.SERVICE_TOKEN_FILE).toBe('/run/secrets/service_token');
  });

  it.each(apps)('runs %s read-only, without capabilities or privilege gain, with bounded memory', (app) => {
    const service = services[app];
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.cap_add).toBeUndefined();
    expect(service.security_opt).toContain('no-new-privileges:true');
    expect(service.mem_limit).toMatch(/^\d+[mg]$/);
    expect(service.pids_limit).toBeGreaterThan(0);
    expect(service.tmpfs).toEqual(['/tmp:size=16m,mode=1777']);
    expect(service.privileged).toBeUndefined();
  });

  it('bounds memory and privileges of every service, and drops every capability the third-party images do not need', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ name, memory: service.mem_limit }).toEqual({ name, memory: expect.stringMatching(/^\d+[mg]$/) });
      expect({ name, options: service.security_opt }).toEqual({ name, options: expect.arrayContaining(['no-new-privileges:true']) });
      expect({ name, drop: service.cap_drop }).toEqual({ name, drop: ['ALL'] });
    }
    // Cassandra's entrypoint changes owners and drops to its user: exactly that, nothing more.
    expect(services.cassandra.cap_add).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
    expect(
      Object.entries(services)
        .filter(([, s]) => s.cap_add !== undefined)
        .map(([n]) => n),
    ).toEqual(['cassandra']);
  });

  it('publishes every port on 127.0.0.1 by default, and says which must never go further', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect({ name, hostIp: portMapping(port).hostIp }).toEqual({ name, hostIp: '127.0.0.1' });
    }
    const readme = readFileSync(join(workspaceRoot, 'docker', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Ports that must never be published'));
    for (const port of ['9092', '9093', '8081', '9042', '7000']) expect(section).toContain(`| ${port} |`);
  });

  it('leaves the session cookie Secure in the image (NODE_ENV=production) and does not turn it off', () => {
    const envLine = must(
      dockerfile.find((i) => i.keyword === 'ENV'),
      'ENV',
    ).args;
    expect(envLine).toMatch(/NODE_ENV=production/);
    for (const app of apps) expect(serviceEnv(services[app]).NODE_ENV).toBeUndefined();
    expect(serviceEnv(services.orchestrator).ORCHESTRATOR_COOKIE_SECURE).toBeUndefined();
  });

  // Docker Compose's own loader (compose-go: schema, interpolation, profiles,
  // paths), through tools/docker/compose-check, a small Go program: no Docker
  // engine or CLI plugin needed, only Go and its module proxy (.ci/run installs Go when missing).
  describe('loaded by compose-go, as docker compose loads it', () => {
    const binary = join(workspaceRoot, 'node_modules', '.cache', 'userstream-compose-check', 'compose-check');
    const load = (extra: Record<string, string | undefined>) => {
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...extra };
      for (const [key, value] of Object.entries(extra)) if (value === undefined) delete childEnv[key];
      return spawnSync(binary, [composeFile, 'mock'], { env: childEnv, encoding: 'utf8' });
    };

    beforeAll(() => {
      if (spawnSync('go', ['version']).status !== 0) throw new Error('Go is needed to load compose.yaml with compose-go: install golang-go (.ci/run does)');
      const build = spawnSync('go', ['build', '-o', binary, '.'], {
        cwd: join(workspaceRoot, 'tools', 'docker', 'compose-check'),
        encoding: 'utf8',
        timeout: 540_000,
      });
      if (build.status !== 0) throw new Error(`building tools/docker/compose-check failed:\n${build.stderr}`);
    }, 600_000);

    it('accepts the file and reads the same services, builds, start order and ports', () => {
      const result = load({ ORCHESTRATOR_PASSWORD: 'test-password', SERVICE_TOKEN: 'test-service-token-0001', BIND_ADDRESS: undefined });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const loaded = JSON.parse(result.stdout) as Record<
        string,
        { image: string; build?: string; dockerfile?: string; dependsOn: Record<string, string>; healthCheck: boolean; ports: string[] }
      >;
      expect(Object.keys(loaded).sort()).toEqual(Object.keys(services).sort());
      for (const [name, service] of Object.entries(loaded)) {
        expect({ name, image: service.image }).toEqual({ name, image: services[name].image });
        expect({ name, healthCheck: service.healthCheck }).toEqual({ name, healthCheck: true });
        expect(service.dependsOn).toEqual(Object.fromEntries(Object.keys(dependsOn(services[name])).map((dep) => [dep, 'service_healthy'])));
        expect(service.ports).toEqual((services[name].ports ?? []).map(String).sort());
        if (services[name].build) {
          expect(service.build).toBe(contextDir(`apps/${name}`));
          expect(existsSync(join(service.build as string, service.dockerfile as string))).toBe(true);
        }
      }
    });

    it('refuses it without ORCHESTRATOR_PASSWORD or SERVICE_TOKEN, naming the variable', () => {
      const noPassword = load({ ORCHESTRATOR_PASSWORD: undefined, SERVICE_TOKEN: 'test-service-token-0001' });
      expect(noPassword.status).toBe(1);
      expect(noPassword.stderr).toMatch(/required variable ORCHESTRATOR_PASSWORD is missing a value/);
      const noToken = load({ ORCHESTRATOR_PASSWORD: 'test-password', SERVICE_TOKEN: undefined });
      expect(noToken.status).toBe(1);
      expect(noToken.stderr).toMatch(/required variable SERVICE_TOKEN is missing a value/);
    });
  });
});
