// Runs the whole benchmark suite in its reduced form (`all.mjs --smoke`)
// against the real dev stack and checks only that every benchmark completed
// and wrote its results: no timing thresholds (CI machines differ).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BENCHMARKS = ['drain', 'ceiling', 'ingest', 'latency', 'resources'];
const ALL = join(__dirname, '..', 'all.mjs');
const REPO_ROOT = join(__dirname, '..', '..', '..');

function runSuite(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // --no-build: Nx built the libraries and apps before this target (implicit dependencies).
    const child = spawn(process.execPath, [ALL, '--smoke', '--no-build', `--out=${outDir}`], {
      cwd: REPO_ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => chunks.push(d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output: chunks.join('') }));
  });
}

describe('benchmark suite, smoke mode', () => {
  let outDir: string;
  let run: { code: number | null; output: string };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'userstream-bench-'));
    run = await runSuite(outDir);
  });

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('exits 0 and reports every benchmark ok', () => {
    if (run.code !== 0) throw new Error(`all.mjs --smoke exited ${run.code}; last output:\n${run.output.slice(-6000)}`);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as { statuses: Array<{ name: string; code: number }> };
    expect(summary.statuses.map((s) => s.name)).toEqual(BENCHMARKS);
    expect(summary.statuses.filter((s) => s.code !== 0)).toEqual([]);
    expect(readFileSync(join(outDir, 'summary.md'), 'utf8')).toContain('# userstream benchmarks');
  });

  it.each(BENCHMARKS)('%s wrote its JSON, Markdown and SVG', (name) => {
    const dir = join(outDir, name);
    for (const file of ['result.json', 'summary.md', 'chart.svg']) {
      const path = join(dir, file);
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).size).toBeGreaterThan(0);
    }
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { benchmark: string; machine: { cores: number } };
    expect(result.benchmark).toBe(name);
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/^# /);
    const svg = readFileSync(join(dir, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
