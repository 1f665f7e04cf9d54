import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

describe('README configuration table', () => {
  it('lists exactly the settings the apps read (regenerate with node tools/docs/config-table.mjs --write)', () => {
    const result = spawnSync(process.execPath, [join(root, 'tools', 'docs', 'config-table.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
