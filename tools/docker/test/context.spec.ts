// The build context each app's docker-context target prepares must install
// on its own (npm ci --omit=dev, exactly as the Dockerfile runs it) in a
// folder outside the workspace, and the app must start from it. Nx runs the
// docker-context targets before this test (project.json: test dependsOn
// ^docker-context). The apps connect to the dev stack's Kafka and Cassandra
// (`npm run stack:up`).
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as CassandraClient } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '@userstream/tools/testing';
import { contextDir, shippedFiles, workspaceClosure, workspaceLibraries } from '../build-context.mjs';
import {
  dockerApps,
  dockerfileNodeMajor,
  emulateDockerBuild,
  folderSize,
  loadCompose,
  nodeOfMajor,
  parseDockerfile,
  readJson,
  serviceEnv,
  startWithNode,
  workspaceRoot,
} from './shipping.helpers';

const apps = dockerApps();
const libs = workspaceLibraries();
const rootLock = readJson(join(workspaceRoot, 'package-lock.json'));

// The install command of the Dockerfile's build stage, without its BuildKit cache mount.
const npmCi = (() => {
  const run = parseDockerfile(readFileSync(join(workspaceRoot, 'docker', 'Dockerfile'), 'utf8')).find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
  if (!run) throw new Error('docker/Dockerfile runs no npm ci');
  return run.args.split(/\s+/).filter((word) => !word.startsWith('--mount='));
})();

const sizes: Record<string, unknown> = {};
const unique = `${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const kafkaBrokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const cassandraContactPoints = process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042';

// Whatever the apps created in the dev stack under this run's names.
afterAll(async () => {
  const kafka = new Kafka({ brokers: kafkaBrokers.split(','), clientId: 'docker-tools-cleanup', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`ctx-${unique}`));
    if (topics.length) await admin.deleteTopics({ topics });
    await admin.deleteGroups([`ctx-${unique}`]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const cassandra = new CassandraClient({ contactPoints: cassandraContactPoints.split(','), localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1' });
  try {
    for (const keyspace of [`ctx_${unique}`, `ctx_orch_${unique}`]) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await cassandra.shutdown();
  }
});

afterAll(() => {
  if (Object.keys(sizes).length === 0) return;
  const dir = join(workspaceRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'image-sizes.json');
  const previous = existsSync(file) ? readJson(file) : {};
  const apps = { ...(previous.apps ?? {}), ...sizes };
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, command: npmCi.join(' '), apps }, null, 2)}\n`);
});

describe.each(apps)('build context of %s', (app) => {
  const dir = contextDir(`apps/${app}`);
  const appPkg = readJson(join(workspaceRoot, 'apps', app, 'package.json'));
  let installDir: string | undefined;
  let secretsDir: string | undefined;

  beforeAll(() => {
    if (!existsSync(join(dir, 'package.json'))) {
      throw new Error(`${dir} is missing: run \`npx nx run-many -t docker-context\` (or this test through Nx, which does)`);
    }
  });

  afterAll(() => {
    for (const folder of [installDir, secretsDir]) if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('holds the built output (and the files it reads at run time), the packed workspace libraries, a pruned package.json, its lockfile and the Dockerfile', () => {
    expect(readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'app', 'libs', 'package-lock.json', 'package.json']);
    const appDir = join(workspaceRoot, 'apps', app);
    expect(readdirSync(join(dir, 'app')).sort()).toEqual(shippedFiles(appDir, appPkg).sort());
    expect(readFileSync(join(dir, 'app', 'dist', 'main.js'), 'utf8')).toBe(readFileSync(join(appDir, 'dist', 'main.js'), 'utf8'));
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(readFileSync(join(workspaceRoot, 'docker', 'Dockerfile'), 'utf8'));

    const pkg = readJson(join(dir, 'package.json'));
    expect(pkg).toMatchObject({ name: appPkg.name, version: appPkg.version, private: true });
    for (const field of ['devDependencies', 'scripts', 'workspaces', 'nx']) expect(pkg).not.toHaveProperty(field);

    // Registry packages keep the app's ranges; every workspace library the app
    // needs (directly or through another library) is a packed tarball.
    const needed = workspaceClosure(appPkg.dependencies, libs);
    const expected: Record<string, string> = {};
    for (const [name, range] of Object.entries(appPkg.dependencies as Record<string, string>)) if (!libs.has(name)) expected[name] = range;
    for (const name of needed) expected[name] = `file:./libs/${name.replace(/^@/, '').replace('/', '-')}-${libs.get(name)?.version}.tgz`;
    expect(pkg.dependencies).toEqual(expected);
    const tarballs = readdirSync(join(dir, 'libs')).sort();
    expect(tarballs).toEqual(needed.map((name) => expected[name].slice('file:./libs/'.length)).sort());
  });

  it('locks exactly those dependencies, at the versions of the workspace lockfile', () => {
    const pkg = readJson(join(dir, 'package.json'));
    const lock = readJson(join(dir, 'package-lock.json'));
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
    const entries = Object.entries(lock.packages as Record<string, { version: string; resolved?: string; link?: boolean; dev?: boolean }>).filter(
      ([path]) => path !== '',
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const [path, entry] of entries) {
      expect({ path, link: entry.link ?? false, dev: entry.dev ?? false }).toEqual({ path, link: false, dev: false });
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      if (libs.has(name)) {
        expect(entry.resolved).toBe(`file:libs/${name.replace(/^@/, '').replace('/', '-')}-${entry.version}.tgz`);
      } else {
        expect({ path, version: entry.version }).toEqual({ path, version: rootLock.packages[path]?.version });
      }
    }
  });

  it(`builds as docker/Dockerfile says (emulated: COPY and npm ci) outside the workspace, and the app starts from it on this Node and on Node ${dockerfileNodeMajor()}`, async () => {
    installDir = mkdtempSync(join(tmpdir(), `userstream-${app}-image-`));
    const image = emulateDockerBuild(readFileSync(join(dir, 'Dockerfile'), 'utf8'), dir, installDir, ['--prefer-offline']);
    expect(image.command).toEqual(['/nodejs/bin/node', 'dist/main.js']);

    const modules = join(image.root, 'node_modules');
    // Production only: none of the workspace's build or test tools.
    for (const dev of ['typescript', 'jest', 'nx', '@swc/core', 'eslint']) expect(existsSync(join(modules, dev))).toBe(false);
    // Workspace libraries are real copies from their tarballs, not links back into the workspace.
    for (const name of workspaceClosure(appPkg.dependencies, libs)) {
      expect(lstatSync(join(modules, name)).isSymbolicLink()).toBe(false);
      expect(existsSync(join(modules, name, 'dist'))).toBe(true);
    }
    // Nothing of the build stage but node_modules reaches the image.
    expect(readdirSync(image.root).sort()).toEqual([...shippedFiles(join(workspaceRoot, 'apps', app), appPkg), 'node_modules', 'package.json'].sort());

    const packages = Object.keys(readJson(join(dir, 'package-lock.json')).packages).filter((p) => p !== '').length;
    const nodeModules = folderSize(modules);
    sizes[app] = { nodeModules, app: folderSize(image.root), packages };
    console.log(`${app}: production node_modules ${nodeModules.bytes} bytes (du -sb), ${nodeModules.diskKiB} KiB on disk (du -sk), ${packages} packages`);

    // The environment compose gives the app, translated to this machine: Kafka
    // and Cassandra are the dev stack's (with a topic, consumer group and
    // keyspaces of this test's own, removed afterwards), every other service
    // (the Schema Registry, the other apps) a closed local port: the app has to
    // come up and stay stoppable without them.
    const closed = `127.0.0.1:${await freePort()}`;
    const secrets = { ORCHESTRATOR_PASSWORD: 'test-password', SERVICE_TOKEN: 'test-service-token-0001' };
    const compose = loadCompose(secrets);
    const names = Object.keys(compose.services).join('|');
    const translate = (value: string) =>
      value.replace(new RegExp(`\\b(${names}):\\d+`, 'g'), (ref) =>
        ref.startsWith('kafka:') ? kafkaBrokers : ref.startsWith('cassandra:') ? cassandraContactPoints : closed,
      );
    const own: Record<string, string> = {
      KAFKA_TOPIC: `ctx-${unique}`,
      KAFKA_GROUP_ID: `ctx-${unique}`,
      CASSANDRA_KEYSPACE: `ctx_${unique}`,
      ORCHESTRATOR_KEYSPACE: `ctx_orch_${unique}`,
    };
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(serviceEnv(compose.services[app]))) {
      if (name === 'PORT' || name === 'HOST') continue;
      env[name] = own[name] ?? translate(value);
    }
    // Compose hands secrets over as files under /run/secrets (<NAME>_FILE); here they are files of a folder of this test.
    secretsDir = mkdtempSync(join(tmpdir(), `userstream-${app}-secrets-`));
    for (const [name, value] of Object.entries(env)) {
      const secret = name.endsWith('_FILE') && /^\/run\/secrets\/(\w+)$/.exec(value);
      if (!secret) continue;
      const file = join(secretsDir, secret[1]);
      writeFileSync(file, secrets[name.slice(0, -'_FILE'.length) as keyof typeof secrets], { mode: 0o600 });
      env[name] = file;
    }

    const check = async (app: {
      url: string;
      output(): string;
      stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    }) => {
      try {
        const res = await fetch(`${app.url}/health/live`);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ status: 'ok' });
        // The root page, redirects followed (the orchestrator's login page), is
        // served from files the image must hold: without them it is a 500.
        const root = await fetch(`${app.url}/`);
        expect({ url: root.url, status: root.status < 500 }).toEqual({ url: root.url, status: true });
      } finally {
        const exit = await app.stop('SIGTERM');
        if (exit.code !== 0) console.error(`output:\n${app.output()}`);
        expect(exit).toEqual({ code: 0, signal: null });
      }
    };
    const entry = join(image.root, image.command[1]);
    // On the workspace's Node...
    // (only the compose environment: nothing of this test process's, which may hold SERVICE_TOKEN)
    await check(await startWithNode(process.execPath, entry, await freePort(), { ...env, LOG_LEVEL: 'warn' }, 60_000));
    // ...and on the Node major the image runs (docker/Dockerfile NODE_MAJOR).
    const node = nodeOfMajor(dockerfileNodeMajor());
    await check(await startWithNode(node, entry, await freePort(), { ...env, LOG_LEVEL: 'warn' }, 60_000));
  });
});
