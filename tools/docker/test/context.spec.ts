// The build context each app's docker-context target prepares must install
// on its own (npm ci --omit=dev, exactly as the Dockerfile runs it) in a
// folder outside the workspace, and the app must start from it. Nx runs the
// docker-context targets before this test (project.json: test dependsOn
// ^docker-context).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startAppProcess } from '@userstream/tools/testing';
import { contextDir, workspaceClosure, workspaceLibraries } from '../build-context.mjs';
import { dockerApps, dockerfileNodeMajor, folderSize, loadCompose, nodeOfMajor, parseDockerfile, readJson, serviceEnv, startWithNode, workspaceRoot } from './shipping.helpers';

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

  beforeAll(() => {
    if (!existsSync(join(dir, 'package.json'))) {
      throw new Error(`${dir} is missing: run \`npx nx run-many -t docker-context\` (or this test through Nx, which does)`);
    }
  });

  afterAll(() => {
    if (installDir) rmSync(installDir, { recursive: true, force: true });
  });

  it('holds the built output, the packed workspace libraries, a pruned package.json, its lockfile and the Dockerfile', () => {
    expect(readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'dist', 'libs', 'package-lock.json', 'package.json']);
    expect(readFileSync(join(dir, 'dist', 'main.js'), 'utf8')).toBe(readFileSync(join(workspaceRoot, 'apps', app, 'dist', 'main.js'), 'utf8'));
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
    const entries = Object.entries(lock.packages as Record<string, { version: string; resolved?: string; link?: boolean; dev?: boolean }>).filter(([path]) => path !== '');
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

  it(`installs with the Dockerfile's npm ci outside the workspace, and the app starts from it (on this Node and on Node ${dockerfileNodeMajor()}), answers /health/live and exits 0 on SIGTERM`, async () => {
    installDir = mkdtempSync(join(tmpdir(), `userstream-${app}-context-`));
    cpSync(dir, installDir, { recursive: true });
    const [command, ...args] = npmCi;
    execFileSync(command, [...args, '--prefer-offline'], { cwd: installDir, stdio: 'pipe' });

    const modules = join(installDir, 'node_modules');
    // Production only: none of the workspace's build or test tools.
    for (const dev of ['typescript', 'jest', 'nx', '@swc/core', 'eslint']) expect(existsSync(join(modules, dev))).toBe(false);
    // Workspace libraries are real copies from their tarballs, not links back into the workspace.
    for (const name of workspaceClosure(appPkg.dependencies, libs)) {
      expect(lstatSync(join(modules, name)).isSymbolicLink()).toBe(false);
      expect(existsSync(join(modules, name, 'dist'))).toBe(true);
    }

    const packages = Object.keys(readJson(join(installDir, 'package-lock.json')).packages).filter((p) => p !== '').length;
    sizes[app] = { nodeModules: folderSize(modules), dist: folderSize(join(installDir, 'dist')), packages };
    console.log(`${app}: production node_modules ${(sizes[app] as { nodeModules: { bytes: number } }).nodeModules.bytes} bytes (du -sb), ${packages} packages`);

    // The environment compose gives the app, with every other service's
    // address pointed at a closed local port: the app has to stay alive
    // (and stoppable) without its dependencies.
    const closed = `127.0.0.1:${await freePort()}`;
    const compose = loadCompose({ ORCHESTRATOR_PASSWORD: 'test-password' });
    const services = Object.keys(compose.services);
    const env = Object.fromEntries(
      Object.entries(serviceEnv(compose.services[app])).filter(([name]) => name !== 'PORT' && name !== 'HOST').map(([name, value]) => [
        name,
        value.replace(new RegExp(`\\b(${services.join('|')}):\\d+`, 'g'), closed),
      ]),
    );

    const check = async (app: { url: string; output(): string; stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> }) => {
      try {
        const res = await fetch(`${app.url}/health/live`);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ status: 'ok' });
      } finally {
        const exit = await app.stop('SIGTERM');
        if (exit.code !== 0) console.error(`output:\n${app.output()}`);
        expect(exit).toEqual({ code: 0, signal: null });
      }
    };
    const entry = join(installDir, 'dist', 'main.js');
    // On the workspace's Node...
    await check(await startAppProcess(entry, { env: { ...env, LOG_LEVEL: 'warn' }, timeoutMs: 30_000 }));
    // ...and on the Node major the image runs (docker/Dockerfile NODE_MAJOR).
    const node = nodeOfMajor(dockerfileNodeMajor());
    await check(await startWithNode(node, entry, await freePort(), { ...env, LOG_LEVEL: 'warn' }));
  });
});
