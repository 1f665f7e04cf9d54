// docker/Dockerfile: what can be checked without a Docker engine. The
// context tests (context.spec.ts) install and start what it would copy.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appNodeOptions, startAppProcess, freePort } from '@userstream/tools/testing';
import { spawnSync } from 'node:child_process';
import { contextDir } from '../build-context.mjs';
import { dockerApps, execForm, parseDockerfile, readJson, workspaceRoot, type Instruction } from './shipping.helpers';

const dockerfile = readFileSync(join(workspaceRoot, 'docker', 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const froms = instructions.filter((i) => i.keyword === 'FROM');
const last = froms.length - 1;
const runtime = instructions.filter((i) => i.stage === last);
const one = (stage: Instruction[], keyword: string) => {
  const found = stage.filter((i) => i.keyword === keyword);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('docker/Dockerfile', () => {
  it('is multi-stage: dependencies installed in a build stage, a distroless or slim Node runtime', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms.slice(0, -1)) expect(from.args).toMatch(/\sAS\s+\S+$/i);
    // The runtime base, with the global ARGs it uses (NODE_MAJOR, RUNTIME_TAG) at their defaults.
    const defaults = Object.fromEntries(instructions.filter((i) => i.stage === -1 && i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
    const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, name: string) => defaults[name] ?? '');
    const base = expand(froms[last].args.split(/\s+/)[0]);
    expect(base).toMatch(/^(gcr\.io\/distroless\/nodejs\d+-debian\d+(:[\w.-]+)?|node:\d+[\w.-]*-slim)$/);
    // Build and runtime stages on the same Node major, so node_modules built in one run in the other.
    const builder = expand(froms[0].args.split(/\s+/)[0]);
    const major = (image: string) => /node(?:js)?:?(\d+)/.exec(image)?.[1];
    expect(major(builder)).toBeDefined();
    expect(major(builder)).toBe(major(base));
  });

  it('installs production dependencies from the lockfile only, in a build stage', () => {
    const npmCi = instructions.filter((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(npmCi).toHaveLength(1);
    expect(npmCi[0].stage).toBeLessThan(last);
    expect(npmCi[0].args).toContain('--omit=dev');
    expect(runtime.some((i) => i.keyword === 'COPY' && /--from=\S+\s+\S*node_modules/.test(i.args))).toBe(true);
    expect(runtime.some((i) => i.keyword === 'RUN')).toBe(false); // distroless has no shell to run anything with
  });

  it('runs as a non-root user, with NODE_ENV=production, listening on all interfaces', () => {
    const user = one(runtime, 'USER').args.trim();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = runtime
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bPORT=\$\{APP_PORT\}/);
    expect(one(runtime, 'EXPOSE').args).toBe('${APP_PORT}');
  });

  it('starts node on dist/main.js', () => {
    const entrypoint = execForm(one(runtime, 'ENTRYPOINT').args);
    const cmd = execForm(one(runtime, 'CMD').args);
    expect([...entrypoint, ...cmd]).toEqual(['/nodejs/bin/node', 'dist/main.js']);
  });

  it('copies only what every prepared build context has', () => {
    for (const app of dockerApps()) {
      const dir = contextDir(`apps/${app}`);
      for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))) {
        const sources = copy.args
          .split(/\s+/)
          .filter((s) => !s.startsWith('--'))
          .slice(0, -1);
        for (const source of sources) expect(existsSync(join(dir, source))).toBe(true);
      }
    }
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = one(runtime, 'HEALTHCHECK');
    const [node, flag, script] = execForm(healthcheck.args);

    it('is a node one-liner on /health/live (no curl in the image)', () => {
      expect(node).toBe('/nodejs/bin/node');
      expect(flag).toBe('-e');
      expect(script).toContain('/health/live');
      expect(healthcheck.args).toMatch(/--interval=\d+s/);
    });

    // The same script the image runs, run by this Node against a started app.
    const probe = (port: number) =>
      spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, PORT: String(port) }, timeout: 10_000 }).status;
    // ingest answers /health/live without its Kafka: it needs nothing else running here.
    const app = 'ingest';

    it(`exits 0 while the app answers and 1 once it is gone (${app})`, async () => {
      const closed = `127.0.0.1:${await freePort()}`;
      const started = await startAppProcess(join(workspaceRoot, 'apps', app, 'dist', 'main.js'), { env: { LOG_LEVEL: 'silent', KAFKA_BROKERS: closed } });
      try {
        expect(probe(started.port)).toBe(0);
      } finally {
        await started.stop();
      }
      expect(probe(started.port)).toBe(1);
      expect(probe(await freePort())).toBe(1);
    });
  });

  describe('node flags of each app ("userstream.nodeOptions" in its package.json)', () => {
    const nodeOptionsOf = (app: string): string => readJson(join(workspaceRoot, 'apps', app, 'package.json')).userstream?.nodeOptions ?? '';

    it('the stream-processor has a heap bound', () => {
      expect(nodeOptionsOf('stream-processor')).toMatch(/^--max-old-space-size=\d+$/);
    });

    it('reach the image as its NODE_OPTIONS through APP_NODE_OPTIONS', () => {
      const env = runtime
        .filter((i) => i.keyword === 'ENV')
        .map((i) => i.args)
        .join(' ');
      expect(env).toMatch(/\bNODE_OPTIONS="\$\{APP_NODE_OPTIONS\}"/);
      expect(runtime.some((i) => i.keyword === 'ARG' && /^APP_NODE_OPTIONS=/.test(i.args))).toBe(true);
    });

    it.each(dockerApps())('are on the command line of `nx serve` (%s)', (app) => {
      const pkg = readJson(join(workspaceRoot, 'apps', app, 'package.json'));
      const flags = nodeOptionsOf(app);
      expect(pkg.nx.targets.serve.options.command).toBe(flags ? `node ${flags} dist/main.js` : 'node dist/main.js');
    });

    it('come first in the NODE_OPTIONS of the launchers, so that flags the caller sets win', () => {
      const dir = join(workspaceRoot, 'apps', 'stream-processor');
      const flags = nodeOptionsOf('stream-processor');
      expect(appNodeOptions(dir, '')).toBe(flags);
      expect(appNodeOptions(dir, ' --max-old-space-size=512 ')).toBe(`${flags} --max-old-space-size=512`);
      expect(appNodeOptions(join(workspaceRoot, 'apps', 'orchestrator'), '--inspect')).toBe(`${nodeOptionsOf('orchestrator')} --inspect`.trim());
    });

    it('reach a stream-processor started by the test launcher', async () => {
      const started = await startAppProcess(join(workspaceRoot, 'apps', 'stream-processor', 'dist', 'main.js'), {
        env: { LOG_LEVEL: 'silent', KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, NODE_OPTIONS: '' },
      });
      try {
        // The environment the kernel gave the process, NUL-separated.
        const environ = readFileSync(`/proc/${started.pid}/environ`, 'utf8').split('\0');
        expect(environ).toContain(`NODE_OPTIONS=${nodeOptionsOf('stream-processor')}`);
      } finally {
        await started.stop();
      }
    });
  });
});
