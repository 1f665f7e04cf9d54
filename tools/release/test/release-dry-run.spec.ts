// `nx release` as configured in nx.json (independent versions, conventional
// commits, per-project changelogs), run with --dry-run on a throwaway copy of
// the workspace that gets two new commits, so the test sees a real version
// bump, changelog and publish preview without touching this repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const workspaceRoot = resolve(__dirname, '..', '..', '..');

// The parent Nx run's variables must not steer the Nx started inside the copy.
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('NX_') && !key.startsWith('npm_')) env[key] = value;
  return { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=release test', '-c', 'user.email=release-test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

// Appends a comment to one source file of a library. Not src/index.ts: every
// test target lists all libraries' index.ts as inputs (the jest preset maps
// @userstream/* to them), which makes a change there "affect" every library
// and gives each one a patch bump (see tools/release/README.md).
function touch(root: string, lib: string): void {
  const src = join(root, 'libs', lib, 'src');
  const file = readdirSync(src)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && f !== 'index.ts')
    .sort()[0];
  if (!file) throw new Error(`libs/${lib}/src has no source file besides index.ts`);
  writeFileSync(join(src, file), `${readFileSync(join(src, file), 'utf8')}\n// release test\n`);
}

describe('nx release --dry-run', () => {
  let copy: string;
  let output = '';
  let status: number | null = null;
  const pkg = (lib: string) => JSON.parse(readFileSync(join(workspaceRoot, 'libs', lib, 'package.json'), 'utf8'));

  const watched = ['libs/randomuser-client/package.json', 'libs/randomuser-client/CHANGELOG.md', 'libs/kafka/package.json'];
  const snapshot = () => watched.map((file) => (existsSync(join(workspaceRoot, file)) ? readFileSync(join(workspaceRoot, file), 'utf8') : null));
  let before: Array<string | null>;

  beforeAll(() => {
    before = snapshot();
    copy = mkdtempSync(join(tmpdir(), 'userstream-release-'));
    // Every file git would see (tracked or new, not ignored), so the copy is this working tree.
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: workspaceRoot, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    for (const file of files) {
      const from = join(workspaceRoot, file);
      if (!existsSync(from)) continue; // deleted in the working tree
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      copyFileSync(from, join(copy, file));
    }
    symlinkSync(join(workspaceRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
    git(copy, 'init', '--quiet', '--initial-branch=main');
    git(copy, 'add', '--all');
    git(copy, 'commit', '--quiet', '--message', 'chore: the workspace as it is');
    // A conventional commit in one library no other library but ingest-contract depends on...
    touch(copy, 'randomuser-client');
    git(copy, 'commit', '--quiet', '--all', '--message', 'feat(randomuser-client): a feature for the release test');
    // ...and a commit in the house style ("area: what changed"), which is not a conventional commit type.
    touch(copy, 'kafka');
    git(copy, 'commit', '--quiet', '--all', '--message', 'kafka: a change that is not a conventional commit');

    const run = spawnSync(join(workspaceRoot, 'node_modules', '.bin', 'nx'), ['release', '--dry-run', '--yes'], {
      cwd: copy,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 240_000,
    });
    output = stripVTControlCharacters(`${run.stdout}\n${run.stderr}`);
    status = run.status;
  });

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('succeeds', () => {
    if (status !== 0 || process.env.SHOW_RELEASE_OUTPUT) console.error(output);
    expect(status).toBe(0);
  });

  it('versions each library on its own from conventional commits, and bumps nothing else', () => {
    const current = pkg('randomuser-client').version as string;
    expect(output).toMatch(new RegExp(`@userstream/randomuser-client .*New version \\S+ written to manifest: libs/randomuser-client/package.json`));
    expect(output).toContain(`-   "version": "${current}",`);
    for (const lib of ['core', 'user-schema', 'kafka', 'cassandra-sink']) {
      expect(output).toContain(`@userstream/${lib} 🚫 No changes were detected using git history and the conventional commits standard`);
    }
  });

  it('previews a changelog entry for the library from its commit', () => {
    expect(output).toContain('Previewing an entry in libs/randomuser-client/CHANGELOG.md');
    expect(output).toContain('**randomuser-client:** a feature for the release test');
    expect(output).not.toContain('a change that is not a conventional commit');
  });

  it('builds the libraries and previews their npm publish', () => {
    expect(output).toContain('Executing pre-version command');
    expect(output).toContain('nx run @userstream/randomuser-client:nx-release-publish');
    expect(output).toMatch(/name:\s+@userstream\/randomuser-client/);
    expect(output).toMatch(/dist\/index\.d\.ts/);
    expect(output).toContain('Would publish to');
  });

  it('leaves this repository alone', () => {
    expect(snapshot()).toEqual(before);
  });
});
