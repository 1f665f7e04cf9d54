// Builds the image of one app from its prepared context (see build-context.mjs):
//   docker build --build-arg APP_PORT=<port> [--build-arg APP_NODE_OPTIONS=<the app's "userstream.nodeOptions">] -t userstream/<app>:<version> -t userstream/<app>:latest dist/docker/<app>
//
// Usage: node tools/docker/docker-build.mjs apps/<app> --port <port> [--image-prefix userstream] [docker build options]
// Where no Docker engine answers, it prints one line saying so and exits 1.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { contextDir, imageName, workspaceRoot } from './build-context.mjs';

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  process.stderr.write(`docker-build: ${message}\n`);
  process.exit(1);
}

/** Why no image can be built here, or undefined when a Docker engine answers. */
export function dockerUnavailable(timeoutMs = 15_000) {
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: timeoutMs });
  const code = /** @type {NodeJS.ErrnoException | undefined} */ (probe.error)?.code;
  if (code === 'ENOENT') return 'the docker CLI is not installed';
  if (code === 'ETIMEDOUT') return `no Docker engine answered within ${timeoutMs / 1000} s (docker info timed out)`;
  if (probe.status !== 0) return 'no Docker engine is running here (docker info failed)';
  return undefined;
}

function gitRevision() {
  const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: workspaceRoot, encoding: 'utf8' });
  return rev.status === 0 ? rev.stdout.trim() : undefined;
}

// apps/<app> first; --port and --image-prefix are ours; anything else goes to `docker build`
// (Nx forwards extra arguments: `nx run @userstream/ingest:docker-build --platform=linux/arm64`).
function parseCommandLine(argv) {
  /** @type {{ extra: string[], port?: string, imagePrefix?: string, projectRoot?: string }} */
  const options = { extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg];
    if (flag === '--port' || flag === '--image-prefix') {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`${flag} needs a value`);
      options[flag === '--port' ? 'port' : 'imagePrefix'] = value;
    } else if (!options.projectRoot && !arg.startsWith('-')) {
      options.projectRoot = arg;
    } else {
      options.extra.push(arg);
    }
  }
  return options;
}

const { projectRoot, port, imagePrefix, extra } = parseCommandLine(process.argv.slice(2));
if (!projectRoot) fail('usage: node tools/docker/docker-build.mjs apps/<app> --port <port> [docker build options]');

const dir = contextDir(projectRoot);
const shown = relative(process.cwd(), dir) || '.';
if (!existsSync(join(dir, 'package.json'))) fail(`no build context at ${shown}: run \`npx nx run-many -t docker-context\` first`);

const why = dockerUnavailable();
if (why) fail(`${why}; the build context is ready at ${shown}`);

const { version, userstream } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const nodeOptions = typeof userstream?.nodeOptions === 'string' ? userstream.nodeOptions : '';
const image = imageName(projectRoot, imagePrefix);
const revision = gitRevision();
const args = [
  'build',
  ...(port ? ['--build-arg', `APP_PORT=${port}`] : []),
  ...(nodeOptions ? ['--build-arg', `APP_NODE_OPTIONS=${nodeOptions}`] : []),
  '--tag',
  `${image}:${version}`,
  '--tag',
  `${image}:latest`,
  '--label',
  `org.opencontainers.image.title=${basename(projectRoot)}`,
  '--label',
  `org.opencontainers.image.version=${version}`,
  ...(revision ? ['--label', `org.opencontainers.image.revision=${revision}`] : []),
  ...extra,
  dir,
];
process.stdout.write(`docker-build: docker ${args.join(' ')}\n`);
const build = spawnSync('docker', args, { stdio: 'inherit' });
if (build.error) fail(`docker build could not start: ${build.error.message}`);
process.exit(build.status ?? 1);
