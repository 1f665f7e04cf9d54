// The libraries as another repository gets them: every lib is packed with
// `npm pack`, installed from the tarballs into a fresh project outside the
// workspace, and a program that uses only their published API (compiled with
// tsc, strict, against their published types) fetches users from the mock
// randomuser.me API, produces them to the real Kafka, consumes them and writes
// them to the real Cassandra. Needs the dev stack (`npm run stack:up`); each
// run uses its own topic and keyspace and removes them afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as CassandraClient } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { startMockApi, userUuid, type MockApi } from '@userstream/tools/mock-api';

const workspaceRoot = resolve(__dirname, '..', '..', '..');
const kafkaBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
const localDataCenter = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
const USERS = 40;

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const libs = readdirSync(join(workspaceRoot, 'libs'))
  .filter((dir) => existsSync(join(workspaceRoot, 'libs', dir, 'package.json')))
  .map((dir) => ({ dir: join(workspaceRoot, 'libs', dir), pkg: readJson(join(workspaceRoot, 'libs', dir, 'package.json')) }));
const rootLock = readJson(join(workspaceRoot, 'package-lock.json'));

function npm(args: string[], cwd: string): string {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  const run = spawnSync('npm', args, { cwd, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout;
}

describe('the libraries, packed and installed outside the workspace', () => {
  const unique = `${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const topic = `packed-libs-${unique}`;
  const keyspace = `packed_libs_${unique}`;
  let root: string;
  let app: string;
  let mock: MockApi | undefined;
  const packed = new Map<string, { filename: string; files: Array<{ path: string }> }>();

  beforeAll(() => {
    for (const lib of libs) {
      if (!existsSync(join(lib.dir, lib.pkg.main)))
        throw new Error(`${lib.pkg.name} is not built: run this test through Nx (npx nx run @userstream/release-tools:test), which builds the libraries first`);
    }
    root = mkdtempSync(join(tmpdir(), 'userstream-packed-libs-'));
    const tarballs = join(root, 'tarballs');
    mkdirSync(tarballs);
    for (const lib of libs) {
      const [result] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], lib.dir));
      packed.set(lib.pkg.name, result);
    }

    app = join(root, 'consumer');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'packed-libs-consumer', version: '0.0.0', private: true, license: 'MIT' }, null, 2)}\n`);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          skipLibCheck: true,
        },
        include: ['src'],
      }),
    );
    copyFileSync(join(__dirname, '..', 'fixtures', 'consumer', 'main.ts'), join(app, 'src', 'main.ts'));
    // As a user would: the tarballs (instead of registry names), plus TypeScript
    // and Node's types at the workspace's versions, so the npm cache serves them.
    const pinned = (name: string) => `${name}@${rootLock.packages[`node_modules/${name}`].version}`;
    npm(
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        ...[...packed.values()].map((p) => join(tarballs, p.filename)),
        pinned('typescript'),
        pinned('@types/node'),
      ],
      app,
    );
  });

  afterAll(async () => {
    await mock?.close();
    const kafka = new Kafka({ brokers: kafkaBrokers, clientId: 'packed-libs-cleanup', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const topics = [topic, `${topic}.dlq`].filter((t) => existing.has(t));
      if (topics.length) await admin.deleteTopics({ topics });
      await admin.deleteGroups([`${topic}-group`]).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    const cassandra = new CassandraClient({ contactPoints, localDataCenter });
    try {
      await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    } finally {
      await cassandra.shutdown();
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('packs each library with its built code, types and README only, and registry-installable dependencies', () => {
    expect([...packed.keys()].sort()).toEqual(libs.map((l) => l.pkg.name).sort());
    for (const lib of libs) {
      const files = packed.get(lib.pkg.name)?.files.map((f) => f.path) ?? [];
      expect(files).toContain('package.json');
      expect(files).toContain('README.md');
      expect(files).toContain(lib.pkg.types.replace(/^\.\//, ''));
      expect(files).toContain(lib.pkg.main.replace(/^\.\//, ''));
      expect(files.filter((f) => !/^(dist\/|schemas\/[\w.-]+\.avsc$|README\.md$|package\.json$|LICENSE$|CHANGELOG\.md$)/.test(f))).toEqual([]);
      expect(files.filter((f) => /\.spec\.|__fixtures__|\.tsbuildinfo$/.test(f))).toEqual([]);
      // Versions a registry understands: no workspace:, file: or link: specs.
      for (const [name, spec] of Object.entries<string>(lib.pkg.dependencies ?? {}))
        expect({ name, spec }).toEqual({ name, spec: expect.stringMatching(/^[~^]?\d+\.\d+\.\d+/) });
    }
  });

  it('installs from the tarballs as real packages, outside the workspace', () => {
    expect(app.startsWith(workspaceRoot)).toBe(false);
    for (const lib of libs) {
      const installed = join(app, 'node_modules', lib.pkg.name);
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
      expect(readJson(join(installed, 'package.json')).version).toBe(lib.pkg.version);
    }
  });

  it('type-checks a program that uses only the published API (tsc --strict)', () => {
    const tsc = spawnSync(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('fetches users from the mock API, produces them to Kafka, consumes them and writes them to Cassandra', async () => {
    mock = await startMockApi({ port: 0, host: '127.0.0.1' });
    // Asynchronously: the mock answers from this process's event loop.
    const child = spawn(process.execPath, [join(app, 'dist', 'main.js')], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        RANDOMUSER_BASE_URL: mock.url,
        USERS: String(USERS),
        KAFKA_BROKERS: kafkaBrokers.join(','),
        TOPIC: topic,
        CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
        CASSANDRA_LOCAL_DC: localDataCenter,
        KEYSPACE: keyspace,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
    if (code !== 0) console.error(stdout, stderr);
    expect(code).toBe(0);
    expect(mock.stats().requests).toBeGreaterThanOrEqual(1);
    const report = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(report).toMatchObject({ fetched: USERS, acknowledged: USERS, written: USERS, rows: { users: USERS, reference: USERS } });

    // The same users the mock serves for that seed, found in Cassandra by this test itself.
    const expected = Array.from({ length: USERS }, (_, i) => userUuid(topic, 1, i)).sort();
    expect([...report.ids].sort()).toEqual(expected);
    const cassandra = new CassandraClient({ contactPoints, localDataCenter });
    try {
      const rows = await cassandra.execute(`SELECT id, email FROM ${keyspace}.users`);
      expect(rows.rows.map((r) => String(r.get('id'))).sort()).toEqual(expected);
      expect(rows.rows.every((r) => typeof r.get('email') === 'string' && r.get('email').includes('@'))).toBe(true);
    } finally {
      await cassandra.shutdown();
    }
  });
});
