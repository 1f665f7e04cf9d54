// Helpers for the shipping tests: what the workspace declares (apps, the
// docker plugin's options), and small readers for the Dockerfile and the
// compose file. Nothing here needs a Docker engine.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { workspaceRoot } from '../build-context.mjs';

export { workspaceRoot };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of known files, shaped by each caller
export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The apps the docker plugin applies to: apps/* whose package.json is tagged type:app. */
export function dockerApps(): string[] {
  const appsDir = join(workspaceRoot, 'apps');
  return readdirSync(appsDir)
    .filter((name) => existsSync(join(appsDir, name, 'package.json')))
    .filter((name) => (readJson(join(appsDir, name, 'package.json')).nx?.tags ?? []).includes('type:app'))
    .sort();
}

/** The options of the docker plugin's entry in nx.json. */
export function dockerPluginOptions(): { ports?: Record<string, number>; imagePrefix?: string } {
  const nx = readJson(join(workspaceRoot, 'nx.json'));
  const entry = nx.plugins.find((p: unknown) => typeof p === 'object' && p !== null && (p as { plugin: string }).plugin === './tools/nx-plugins/docker.js');
  if (!entry) throw new Error('nx.json does not register ./tools/nx-plugins/docker.js');
  return entry.options ?? {};
}

// ---- Dockerfile ---------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) the instruction belongs to; -1 before the first FROM. */
  stage: number;
}

/** Splits a Dockerfile into instructions: joins `\` continuations, drops comments and blank lines. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let stage = -1;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!pending && (/^\s*#/.test(line) || line.trim() === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line.trim()).trim();
    pending = '';
    const match = /^(\w+)\s+(.*)$/s.exec(full);
    if (!match) throw new Error(`unreadable Dockerfile line: ${full}`);
    const keyword = match[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    instructions.push({ keyword, args: match[2], stage });
  }
  return instructions;
}

/** The JSON array of an exec-form instruction (`CMD ["node", "x"]`), after any `--flag=value` options. */
export function execForm(args: string): string[] {
  const start = args.indexOf('[');
  if (start < 0) throw new Error(`not in exec form: ${args}`);
  return JSON.parse(args.slice(start)) as string[];
}

/**
 * Builds what docker/Dockerfile would put in the image's WORKDIR, without
 * Docker: each stage's WORKDIR is a folder under `workDir`; COPY (from the
 * context or `--from` an earlier stage) and the `npm ci` RUN are carried out,
 * other instructions only read. Returns the last stage's folder (the image's
 * /app) and the command the image runs there. Throws on anything it cannot
 * carry out faithfully (a RUN other than npm ci, a WORKDIR other than /app).
 */
export function emulateDockerBuild(dockerfileText: string, context: string, workDir: string, extraNpmArgs: string[] = []): { root: string; command: string[] } {
  const instructions = parseDockerfile(dockerfileText);
  const stages: Array<{ name?: string; dir: string }> = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const i of instructions) {
    if (i.keyword === 'FROM') {
      const name = /\sAS\s+(\S+)$/i.exec(i.args)?.[1];
      stages.push({ name, dir: join(workDir, `stage-${stages.length}${name ? `-${name}` : ''}`) });
      mkdirSync(stages[stages.length - 1].dir, { recursive: true });
      entrypoint = [];
      cmd = [];
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) continue; // global ARGs
    switch (i.keyword) {
      case 'WORKDIR':
        if (i.args.trim() !== '/app') throw new Error(`emulation supports WORKDIR /app only, not ${i.args}`);
        break;
      case 'COPY': {
        const words = i.args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const target = paths.pop() as string;
        const source = from === undefined ? undefined : stages.find((st) => st.name === from);
        if (from !== undefined && !source) throw new Error(`COPY --from=${from}: no such stage`);
        for (const src of paths) {
          const origin = source ? join(source.dir, posix.relative('/app', src)) : join(context, src);
          if (!existsSync(origin)) throw new Error(`COPY ${src}: ${origin} does not exist`);
          const dest = join(stage.dir, target);
          // A folder's contents go into the target; a file goes into the target folder when it ends with '/'.
          const into = statSync(origin).isDirectory() ? dest : target.endsWith('/') ? join(dest, basename(origin)) : dest;
          cpSync(origin, into, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--mount='));
        if (words[0] !== 'npm' || words[1] !== 'ci') throw new Error(`emulation runs npm ci only, not: ${i.args}`);
        execFileSync(words[0], [...words.slice(1), ...extraNpmArgs], { cwd: stage.dir, stdio: 'pipe' });
        break;
      }
      case 'ENTRYPOINT':
        entrypoint = execForm(i.args);
        break;
      case 'CMD':
        cmd = execForm(i.args);
        break;
      default:
        break;
    }
  }
  const last = stages[stages.length - 1];
  if (!last) throw new Error('no FROM in the Dockerfile');
  return { root: last.dir, command: [...entrypoint, ...cmd] };
}

// ---- compose --------------------------------------------------------------

export type Env = Record<string, string | undefined>;

/**
 * Compose-style interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}` and `$$`. A required variable that is
 * missing throws with its message, as `docker compose` does.
 */
export function interpolate(text: string, env: Env): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}])*))?\}/g, (whole, name?: string, colon?: string, op?: string, word?: string) => {
    if (whole === '$$') return '$';
    const value = env[name as string];
    const unset = value === undefined || (colon === ':' && value === '');
    if (op === '-') return unset ? (word ?? '') : (value as string);
    if (op === '?') {
      if (unset) throw new Error(`required variable ${name} is missing a value: ${word}`);
      return value as string;
    }
    return value ?? '';
  });
}

function interpolateDeep(value: unknown, env: Env): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  return value;
}

export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { target: number; published?: string | number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test: string[] | string; disable?: boolean };
  volumes?: Array<string | { type: string; source?: string; target: string; read_only?: boolean }>;
  profiles?: string[];
  command?: string[] | string;
  working_dir?: string;
  secrets?: Array<string | { source: string; target?: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  mem_limit?: string;
  pids_limit?: number;
  tmpfs?: string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
}

export const composeFile = join(workspaceRoot, 'docker', 'compose.yaml');

/** docker/compose.yaml parsed, raw (`interpolateWith` undefined) or interpolated with `env`. */
export function loadCompose(interpolateWith?: Env): ComposeFile {
  const doc = parseYaml(readFileSync(composeFile, 'utf8')) as ComposeFile;
  return interpolateWith ? (interpolateDeep(doc, interpolateWith) as ComposeFile) : doc;
}

/** A service's environment as a map, whichever form (map or KEY=VALUE list) it is written in. */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function dependsOn(service: ComposeService): Record<string, { condition?: string }> {
  const deps = service.depends_on ?? {};
  return Array.isArray(deps) ? Object.fromEntries(deps.map((d) => [d, {}])) : deps;
}

// ---- app configuration ------------------------------------------------------

export interface ConfigFieldLike {
  env: string;
  kind: string;
  default?: unknown;
  optional?: boolean;
  secret?: boolean;
}

/**
 * The environment variables an app reads, from the config spec its built
 * `dist/app.config.js` exports (objects of `field()`s from @userstream/core).
 */
export function appConfigFields(app: string): ConfigFieldLike[] {
  const file = join(workspaceRoot, 'apps', app, 'dist', 'app.config.js');
  const mod = require(file) as Record<string, unknown>;
  const fields: ConfigFieldLike[] = [];
  for (const value of Object.values(mod)) {
    if (!value || typeof value !== 'object') continue;
    const entries = Object.values(value as Record<string, unknown>);
    const isSpec =
      entries.length > 0 &&
      entries.every((f) => !!f && typeof f === 'object' && typeof (f as ConfigFieldLike).env === 'string' && typeof (f as ConfigFieldLike).kind === 'string');
    if (isSpec) fields.push(...(entries as ConfigFieldLike[]));
  }
  return fields;
}

/** `du -sb` and `du -sk` of a folder: apparent bytes and disk usage in KiB. */
export function folderSize(dir: string): { bytes: number; diskKiB: number } {
  const bytes = Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  const diskKiB = Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
  return { bytes, diskKiB };
}

// ---- the image's Node.js ------------------------------------------------------

/**
 * A node binary of the given major version: this process's own when it
 * matches, else the official build from the npm registry's
 * `node-<platform>-<arch>` package, unpacked once into node_modules/.cache.
 */
export function nodeOfMajor(major: string): string {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const dir = join(workspaceRoot, 'node_modules', '.cache', 'userstream-node', `${platform}-${process.arch}-${major}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const spec = `node-${platform}-${process.arch}@${major}`;
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', spec, '--json', '--prefer-offline', '--pack-destination', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as Array<{ filename: string }>;
    execFileSync('tar', ['xzf', join(dir, packed.filename), '-C', dir, 'package/bin/node']);
    rmSync(join(dir, packed.filename));
  }
  return bin;
}

/** The Dockerfile's default NODE_MAJOR build argument. */
export function dockerfileNodeMajor(): string {
  const arg = parseDockerfile(readFileSync(join(workspaceRoot, 'docker', 'Dockerfile'), 'utf8')).find(
    (i) => i.keyword === 'ARG' && i.args.startsWith('NODE_MAJOR='),
  );
  if (!arg) throw new Error('docker/Dockerfile has no ARG NODE_MAJOR=<default>');
  return arg.args.split('=')[1];
}

export interface RunningApp {
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node <entry>` with a given node binary (startAppProcess from
 * @userstream/tools/testing always uses this process's node) and waits until
 * GET /health/live answers 200.
 */
export async function startWithNode(node: string, entry: string, port: number, env: Record<string, string>, timeoutMs = 30_000): Promise<RunningApp> {
  const output: string[] = [];
  const child = spawn(node, [entry], { env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before answering:\n${output.join('')}`);
    const ok = await fetch(`${url}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${entry} did not answer ${url}/health/live within ${timeoutMs} ms:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output.join(''),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
