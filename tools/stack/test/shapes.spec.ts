import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stackConfig, stackDown, stackStatus, stackUp } from '../stack-lib.mjs';

// The two shapes as configuration: what each would start and what it tells the apps. No server is started
// here (cluster.spec.ts in apps/stream-processor/test/cluster runs a real cluster).

describe('stack shapes', () => {
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userstream-shapes-'));
  const env = { USERSTREAM_STACK_DIR: stackDir };

  afterAll(() => fs.rmSync(stackDir, { recursive: true, force: true }));

  it('gives one node of each by default, on 127.0.0.1, without replication settings', () => {
    const config = stackConfig(env);
    expect(config.nodes).toBe(1);
    expect(config.servers).toEqual(['kafka', 'cassandra']);
    expect(config.env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042',
      CASSANDRA_LOCAL_DC: 'datacenter1',
      USERSTREAM_STACK_DIR: stackDir,
    });
  });

  it('gives three of each on three consecutive loopback addresses, with RF 3 and quorum writes for the apps', () => {
    const config = stackConfig({ ...env, STACK_CLUSTER_HOST: '127.0.0.21', KAFKA_PORT: '9192' }, { nodes: 3 });
    expect(config.servers).toEqual(['kafka-1', 'kafka-2', 'kafka-3', 'cassandra-1', 'cassandra-2', 'cassandra-3']);
    expect(config.env).toEqual({
      KAFKA_BROKERS: '127.0.0.21:9192,127.0.0.22:9192,127.0.0.23:9192',
      CASSANDRA_CONTACT_POINTS: '127.0.0.21:9042,127.0.0.22:9042,127.0.0.23:9042',
      CASSANDRA_LOCAL_DC: 'datacenter1',
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
      CASSANDRA_REPLICATION_FACTOR: '3',
      ORCHESTRATOR_REPLICATION_FACTOR: '3',
      CASSANDRA_CONSISTENCY: 'LOCAL_QUORUM',
      USERSTREAM_STACK_DIR: stackDir,
    });
    // STACK_NODES picks the same shape.
    expect(stackConfig({ ...env, STACK_NODES: '3' }).servers).toHaveLength(6);
  });

  it('refuses a node count other than 1 or 3, a non-loopback address and an unknown commit-log mode, naming the setting', () => {
    expect(() => stackConfig(env, { nodes: 2 })).toThrow('--nodes must be 1 or 3');
    expect(() => stackConfig({ ...env, STACK_NODES: 'five' })).toThrow('STACK_NODES must be 1 or 3');
    expect(() => stackConfig({ ...env, STACK_CLUSTER_HOST: '10.0.0.1' })).toThrow('STACK_CLUSTER_HOST must be a loopback address');
    expect(() => stackConfig({ ...env, STACK_CLUSTER_HOST: '127.0.0.254' })).toThrow('STACK_CLUSTER_HOST must leave room for 3');
    expect(() => stackConfig({ ...env, STACK_CASSANDRA_COMMITLOG: 'fsync' })).toThrow('STACK_CASSANDRA_COMMITLOG must be one of batch, group, periodic');
  });

  it('reports every node of the shape asked for as stopped, and a down with nothing running stops nothing', async () => {
    const status = await stackStatus({ nodes: 3, env });
    expect(status.ready).toBe(false);
    expect(Object.entries(status.servers).map(([id, server]) => `${id}:${server.state}`)).toEqual([
      'kafka-1:stopped',
      'kafka-2:stopped',
      'kafka-3:stopped',
      'cassandra-1:stopped',
      'cassandra-2:stopped',
      'cassandra-3:stopped',
    ]);
    const lines: string[] = [];
    expect(await stackDown({ nodes: 3, env, log: (line) => lines.push(line) })).toEqual({ stopped: [] });
    expect(lines).toContain('Cassandra node 3 is not running.');
  });

  it('fails before starting anything when a port of one cluster node is taken', async () => {
    const blocker = await new Promise<net.Server>((resolve) => {
      const server = net.createServer();
      server.listen({ port: 0, host: '127.0.0.42' }, () => resolve(server));
    });
    const port = String((blocker.address() as net.AddressInfo).port);
    try {
      const clusterEnv = { ...env, STACK_CLUSTER_HOST: '127.0.0.41', CASSANDRA_PORT: port };
      await expect(stackUp({ nodes: 3, env: clusterEnv, log: () => undefined })).rejects.toThrow(
        `Port ${port} (CASSANDRA_PORT) on 127.0.0.42 is already in use, so Cassandra node 2 cannot start.`,
      );
      expect((await stackStatus({ nodes: 3, env: clusterEnv })).servers['kafka-1'].state).toBe('stopped');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
