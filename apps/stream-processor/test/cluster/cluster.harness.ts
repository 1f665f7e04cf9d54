import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { waitFor } from '@userstream/core';
import { killServer, stackDown, stackPids, stackUp, startServers } from '@userstream/tools/stack';
import type { AppProcess } from '@userstream/tools/testing';
import { accounting, type Accounting } from '@userstream/tools/testing/accounting';
import { metricValue, type Names } from '../e2e/pipeline.harness';

// A throw-away three-node cluster (tools/stack, `nodes: 3`) for crash tests, and the means to read back
// what a run left behind with clients that are not ours (tools/testing/accounting.py).

/**
 * Its own stack dir (a fresh one, or CLUSTER_TEST_STACK_DIR: a cluster kept running between runs while you work
 * on the tests, started there if it is not) and its own loopback addresses (127.0.0.31-33), so it runs beside the dev stack on
 * 127.0.0.1 with the default ports on every node: the Node.js Cassandra driver reaches the peers it
 * discovers on its default port 9042, so a cluster on other ports would only be half reachable.
 */
export function clusterStackEnv(): Record<string, string> {
  return {
    USERSTREAM_STACK_DIR: process.env.CLUSTER_TEST_STACK_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'userstream-cluster-test-')),
    STACK_CLUSTER_HOST: process.env.CLUSTER_TEST_HOST ?? '127.0.0.31',
    CASSANDRA_JMX_PORT: process.env.CLUSTER_TEST_JMX_PORT ?? '17399',
    KAFKA_PORT: '9092',
    KAFKA_CONTROLLER_PORT: '9093',
    CASSANDRA_PORT: '9042',
    CASSANDRA_STORAGE_PORT: '7000',
    // Crash tests run the durable commit log, whatever the caller's environment says.
    STACK_CASSANDRA_COMMITLOG: 'batch',
  };
}

export interface Cluster {
  /** What the apps need: brokers, contact points, RF 3, LOCAL_QUORUM. */
  appEnv: Record<string, string>;
  brokers: string[];
  contactPoints: string[];
  startMs: number;
  kill(server: string): Promise<void>;
  start(...servers: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(log: (line: string) => void): Promise<Cluster> {
  const env = { ...process.env, ...clusterStackEnv() };
  const options = { nodes: 3, env, log };
  const startedAt = Date.now();
  try {
    const up = await stackUp(options);
    const { USERSTREAM_STACK_DIR: stackDir, ...appEnv } = up.env;
    return {
      appEnv,
      brokers: appEnv.KAFKA_BROKERS.split(','),
      contactPoints: appEnv.CASSANDRA_CONTACT_POINTS.split(','),
      startMs: Date.now() - startedAt,
      kill: async (server) => void (await killServer(server, options)),
      start: async (...servers) => void (await startServers(servers, options)),
      stop: async () => {
        if (process.env.CLUSTER_TEST_STACK_DIR) return log(`left the cluster in ${stackDir} running (CLUSTER_TEST_STACK_DIR)`);
        // Thrown away: SIGKILL every server (a clean stop took about 14 s and keeps nothing worth keeping).
        for (const [id, pid] of Object.entries(stackPids(options))) if (pid) await killServer(id, options).catch(() => undefined);
        await stackDown(options);
        fs.rmSync(stackDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stackDown(options).catch(() => undefined);
    throw error;
  }
}

/**
 * Exact accounting read back by clients that are not ours (tools/testing/accounting.py: kcat, kafka-python and
 * the DataStax Python driver), against the ids the mock API served.
 */
export function account(cluster: Cluster, names: Names, expectedIds: string[], scenario: string): Promise<Accounting> {
  return accounting(scenario, {
    brokers: cluster.brokers.join(','),
    topic: names.topic,
    group: names.groupId,
    contactPoints: cluster.contactPoints.join(','),
    keyspace: names.keyspace,
    expected: expectedIds,
    log: (line) => process.stdout.write(`[cluster] ${line}\n`),
  });
}

export function clusterAdmin(cluster: Cluster): Admin {
  return new Kafka({ brokers: cluster.brokers, clientId: 'cluster-test', logLevel: logLevel.NOTHING }).admin();
}

/** The broker that leads `partition` of `topic` (its node id, which is also its node index). */
export async function leaderOf(admin: Admin, topic: string, partition: number): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const found = topics[0].partitions.find((p) => p.partitionId === partition);
  if (!found) throw new Error(`${topic} has no partition ${partition}`);
  return found.leader;
}

/** The group's coordinator: the leader of its __consumer_offsets partition (Java's String.hashCode, 50 partitions). */
export async function coordinatorOf(admin: Admin, groupId: string): Promise<number> {
  let hash = 0;
  for (const char of groupId) hash = (Math.imul(31, hash) + char.charCodeAt(0)) | 0;
  const partition = (hash === -2147483648 ? 0 : Math.abs(hash)) % 50;
  return leaderOf(admin, '__consumer_offsets', partition);
}

/** Waits until every partition of the topics (those that exist) has its whole replica set in sync again. */
export function waitFullyReplicated(admin: Admin, topics: string[], timeoutMs = 90_000): Promise<true> {
  return waitFor(
    async () => {
      const existing = new Set(await admin.listTopics());
      const metadata = await admin.fetchTopicMetadata({ topics: topics.filter((topic) => existing.has(topic)) });
      const behind = metadata.topics.flatMap((t) => t.partitions.filter((p) => p.isr.length < p.replicas.length));
      return behind.length === 0 || undefined;
    },
    { timeoutMs, intervalMs: 500, description: `every replica of ${topics.join(', ')} in sync` },
  );
}

/** The group's committed offsets summed over the topic's partitions (an uncommitted partition counts 0). */
export async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** Records on the topic after the group's committed offsets (a partition without a commit counts whole). */
export async function committedLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  return ends.reduce((lag, end) => {
    const at = Number(committed.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
    return lag + Number(end.high) - Math.max(Number(end.low), at);
  }, 0);
}

/** A stretch of time in which the processor's written-records counter stood still. */
export interface Pause {
  ms: number;
  from: number;
  to: number;
}

/**
 * Polls the processor's written-records counter and keeps every time it stood still between the first and
 * the last row, i.e. while rows were due. `stop()` resolves with the longest such pause overall and the
 * longest one that ended after `since` (e.g. a kill).
 */
export function watchWrites(processor: AppProcess, intervalMs = 100) {
  let last = 0;
  let lastChangeAt: number | undefined;
  const pauses: Pause[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      const written = await metricValue(processor, 'userstream_processor_records_written_total').catch(() => last);
      if (written > last) {
        if (lastChangeAt !== undefined) pauses.push({ ms: now - lastChangeAt, from: lastChangeAt, to: now });
        lastChangeAt = now;
        last = written;
      }
      // Unref'd: a watch a failed test never stopped must not keep the test process alive.
      await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
    }
  })();
  const longest = (list: Pause[]) => list.reduce((max, pause) => (pause.ms > max.ms ? pause : max), { ms: 0, from: 0, to: 0 });
  return {
    written: () => last,
    stop: async (since: number) => {
      running = false;
      await loop;
      return { overall: longest(pauses), afterSince: longest(pauses.filter((pause) => pause.to > since)) };
    },
  };
}
