import { checkLiveSchemaAgreement, type MigrationClient } from './schema.migration';

/** Three nodes as one node (the first live one) sees them; `up` says which the driver sees up. */
function cluster(versions: { local: string; peers: Array<[string, string]> }, up: boolean[]) {
  const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((address, i) => ({
    address: `${address}:9042`,
    hostId: `h${i + 1}`,
    isUp: () => up[i] as boolean,
  }));
  const asked: unknown[] = [];
  const client = {
    hosts: { values: () => hosts },
    execute: async (query: string, _params: unknown[], options: { host: unknown }) => {
      asked.push(options.host);
      if (query.includes('system.local')) return { rows: [{ host_id: 'h1', schema_version: versions.local }] };
      return { rows: versions.peers.map(([peer, version], i) => ({ peer, host_id: `h${i + 2}`, schema_version: version })) };
    },
  } as unknown as MigrationClient;
  return { client, asked, hosts };
}

describe('checkLiveSchemaAgreement', () => {
  it('leaves out a dead node whose stale version is still in system.peers', async () => {
    const { client, asked, hosts } = cluster(
      {
        local: 'v2',
        peers: [
          ['127.0.0.2', 'v2'],
          ['127.0.0.3', 'v1'],
        ],
      },
      [true, true, false],
    );
    const result = await checkLiveSchemaAgreement(client, { pick: () => 0 });
    expect(result).toEqual({ agreed: true, versions: { '127.0.0.1:9042': 'v2', '127.0.0.2': 'v2' }, down: ['127.0.0.3:9042'] });
    // Both reads go to the same live node: system.local and system.peers are that node's view.
    expect(asked).toEqual([hosts[0], hosts[0]]);
  });

  it('does not agree while a live node has another version, or when no node is up', async () => {
    const split = cluster(
      {
        local: 'v2',
        peers: [
          ['127.0.0.2', 'v1'],
          ['127.0.0.3', 'v2'],
        ],
      },
      [true, true, false],
    );
    await expect(checkLiveSchemaAgreement(split.client, { pick: () => 0 })).resolves.toMatchObject({
      agreed: false,
      versions: { '127.0.0.1:9042': 'v2', '127.0.0.2': 'v1' },
    });
    const all = cluster(
      {
        local: 'v2',
        peers: [
          ['127.0.0.2', 'v2'],
          ['127.0.0.3', 'v3'],
        ],
      },
      [true, true, true],
    );
    await expect(checkLiveSchemaAgreement(all.client, { pick: () => 0 })).resolves.toMatchObject({ agreed: false, down: [] });
    const none = cluster({ local: 'v2', peers: [] }, [false, false, false]);
    await expect(checkLiveSchemaAgreement(none.client)).resolves.toEqual({
      agreed: false,
      versions: {},
      down: ['127.0.0.1:9042', '127.0.0.2:9042', '127.0.0.3:9042'],
    });
  });
});
