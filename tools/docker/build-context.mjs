// Prepares the Docker build context of one app: dist/docker/<app>/ at the
// workspace root, holding everything `docker build` needs and nothing else,
// so the image is built from Nx's output for that app alone:
//
//   app/               what the app ships, copied to /app in the image: dist/, plus public/
//                      or assets/ when the app has them (its package.json "files" overrides)
//   libs/*.tgz         `npm pack` of every workspace library the app uses, directly or not
//   package.json       the app's production dependencies; workspace libs as file:./libs/<tgz>
//   package-lock.json  locked for exactly those dependencies, at the workspace lockfile's versions
//   Dockerfile, .dockerignore   copies of docker/ (the context builds on its own)
//
// Usage: node tools/docker/build-context.mjs apps/<app>
// The app and the libraries it uses must be built first (the Nx target
// `docker-context` depends on `build` and `^build`).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder of the prepared build context of the app at `projectRoot` (e.g. `apps/ingest`). */
export function contextDir(projectRoot, root = workspaceRoot) {
  return join(root, 'dist', 'docker', basename(projectRoot));
}

/** Image name (without tag) for an app folder name, e.g. `userstream/ingest`. */
export function imageName(projectRoot, prefix = 'userstream') {
  return `${prefix}/${basename(projectRoot)}`;
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Workspace libraries by package name: `{ dir, version, pkg }`. */
export function workspaceLibraries(root = workspaceRoot) {
  const libs = new Map();
  const libsDir = join(root, 'libs');
  for (const entry of readdirSync(libsDir, { withFileTypes: true })) {
    const file = join(libsDir, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const pkg = readJson(file);
    libs.set(pkg.name, { dir: join(libsDir, entry.name), version: pkg.version, pkg });
  }
  return libs;
}

/**
 * The workspace libraries `dependencies` needs, directly or through other
 * workspace libraries, in a stable order.
 */
export function workspaceClosure(dependencies, libs) {
  const found = new Set();
  const visit = (deps) => {
    for (const name of Object.keys(deps ?? {})) {
      const lib = libs.get(name);
      if (!lib || found.has(name)) continue;
      found.add(name);
      visit(lib.pkg.dependencies);
    }
  };
  visit(dependencies);
  return [...found].sort();
}

// npm started from `npm run`, `npm test` or `npx` passes its own settings down
// in npm_* variables (workspace selection, prefixes, the lifecycle event): none
// may leak into the context's npm. Registry, cache and proxy settings stay.
const KEPT_NPM_SETTINGS =
  /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|prefer_offline|offline|@.+:registry)$/i;
function npmEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_/i.test(key) && !KEPT_NPM_SETTINGS.test(key)) delete env[key];
  }
  return env;
}

function npm(args, cwd) {
  try {
    return execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String(error.stderr ?? '')
      .split('\n')
      .filter((l) => l && !l.includes('Unknown user config'))
      .slice(-10)
      .join('\n');
    throw new Error(`npm ${args.join(' ')} (in ${relative(workspaceRoot, cwd) || '.'}) failed:\n${stderr}`);
  }
}

function assertBuilt(dir, pkg, what) {
  const main = join(dir, pkg.main ?? 'dist/index.js');
  if (!existsSync(main)) {
    throw new Error(`${what} is not built (${relative(workspaceRoot, main)} is missing): run \`npx nx run ${pkg.name}:build\` first`);
  }
}

/** The files and folders of an app that go into its image, relative to the app's folder. */
export function shippedFiles(appDir, pkg) {
  if (Array.isArray(pkg.files)) return pkg.files.filter((entry) => existsSync(join(appDir, entry)));
  return ['dist', 'public', 'assets'].filter((entry) => existsSync(join(appDir, entry)));
}

/**
 * Writes the build context of the app at `projectRoot` and returns what it holds.
 *
 * @param {{ projectRoot: string, root?: string }} options
 * @returns {{ dir: string, name: string, version: string, libraries: string[], dependencies: Record<string,string> }}
 */
export function prepareContext({ projectRoot, root = workspaceRoot }) {
  const appDir = resolve(root, projectRoot);
  const pkg = readJson(join(appDir, 'package.json'));
  assertBuilt(appDir, { ...pkg, main: pkg.main ?? 'dist/main.js' }, pkg.name);

  const dir = contextDir(projectRoot, root);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'libs'), { recursive: true });

  // What the app ships: its package.json "files" when it has one, else dist/
  // and the conventional folders of files read at run time (a dashboard's pages).
  for (const entry of shippedFiles(appDir, pkg)) {
    cpSync(join(appDir, entry), join(dir, 'app', entry), {
      recursive: true,
      filter: (src) => !src.endsWith('.tsbuildinfo'),
    });
  }

  const libs = workspaceLibraries(root);
  const needed = workspaceClosure(pkg.dependencies, libs);
  const tarballs = new Map();
  for (const name of needed) {
    const lib = libs.get(name);
    assertBuilt(lib.dir, lib.pkg, name);
    const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', join(dir, 'libs')], lib.dir));
    tarballs.set(name, `file:./libs/${packed.filename}`);
  }

  // Every workspace library the app needs, even only through another one, is
  // a direct dependency here: npm then satisfies the libraries' own
  // "@userstream/...": "^x.y.z" ranges with these tarballs, never the registry.
  const dependencies = {};
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) dependencies[name] = tarballs.get(name) ?? range;
  for (const [name, spec] of tarballs) dependencies[name] = spec;
  const sorted = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));

  const pruned = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    ...(pkg.description ? { description: pkg.description } : {}),
    license: pkg.license,
    main: pkg.main ?? './dist/main.js',
    engines: pkg.engines,
    // The app's node flags: docker-build passes them as APP_NODE_OPTIONS.
    ...(pkg.userstream ? { userstream: pkg.userstream } : {}),
    dependencies: sorted,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pruned, null, 2)}\n`);

  // Start from the workspace lockfile so the image gets exactly the versions
  // the workspace was tested with; npm drops what this package does not need
  // and asks the registry only for what the workspace lock lacks.
  copyFileSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  npm(['install', '--package-lock-only', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], dir);

  for (const file of ['Dockerfile', '.dockerignore']) copyFileSync(join(root, 'docker', file), join(dir, file));

  return { dir, name: pkg.name, version: pkg.version, libraries: needed, dependencies: sorted };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const projectRoot = process.argv[2];
  if (!projectRoot) {
    process.stderr.write('usage: node tools/docker/build-context.mjs apps/<app>\n');
    process.exit(2);
  }
  try {
    const result = prepareContext({ projectRoot });
    const libs = result.libraries.length ? result.libraries.join(', ') : 'none';
    process.stdout.write(`docker-context: ${relative(workspaceRoot, result.dir)} is ready (${result.name}@${result.version}; workspace libraries: ${libs})\n`);
  } catch (error) {
    process.stderr.write(`docker-context: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
