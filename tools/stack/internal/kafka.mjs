// Kafka in KRaft mode, each node both broker and controller: one node that
// is its own quorum, or one of three that form a quorum together.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from './config.mjs';
import { withTimeout, xmlEscape } from './util.mjs';

/**
 * One Kafka node. `node`: `{ id, index, title, dir, host, hosts, heap,
 * security? }` (see shapes.mjs); `hosts` lists every node's address, so
 * `hosts.length` is the cluster size. `security` (secure.mjs) turns the
 * client listener into SASL_SSL.
 */
export function kafkaServer(config, node) {
  const { dir } = node;
  const clustered = node.hosts.length > 1;
  const files = {
    properties: path.join(dir, 'server.properties'),
    log4j: path.join(dir, 'log4j2.xml'),
    dataDir: path.join(dir, 'data'),
    formatRecord: path.join(dir, 'format.json'),
    // Every node of a cluster is formatted with the same cluster id.
    clusterId: path.join(path.dirname(dir), 'kafka-cluster-id'),
  };

  return {
    id: node.id,
    kind: 'kafka',
    index: node.index,
    title: node.title,
    pom: path.join(TOOLS_DIR, 'kafka', 'pom.xml'),
    mainJarPrefix: 'kafka_2.13-',
    dir,
    // The jars are the same for every node and shape: one copy per stack dir.
    libDir: path.join(config.stackDir, 'kafka', 'lib'),
    logFile: path.join(dir, 'logs', 'server.log'),
    outFile: path.join(dir, 'logs', 'stdout.log'),
    pidFile: path.join(dir, 'kafka.pid'),
    host: node.host,
    ports: [
      { variable: 'KAFKA_PORT', port: config.kafkaPort },
      { variable: 'KAFKA_CONTROLLER_PORT', port: config.kafkaControllerPort },
    ],
    address: `${node.host}:${config.kafkaPort}`,

    async prepare(java, log) {
      fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
      fs.writeFileSync(files.properties, serverProperties(config, node, files.dataDir));
      fs.writeFileSync(files.log4j, log4jConfig(this.logFile));
      await formatStorageOnce(this, java, files, config, node, log);
    },

    jvmArgs() {
      // The GC flags of Kafka's own start scripts; the heap is the shape's.
      return [
        `-Xms${node.heap.min}`,
        `-Xmx${node.heap.max}`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${files.log4j}`,
        `-Dkafka.logs.dir=${path.dirname(this.logFile)}`,
      ];
    },
    mainClass: 'kafka.Kafka',
    mainArgs: [files.properties],

    /**
     * One metadata round trip through this node; resolves with what it told
     * us once this node itself is a registered, unfenced broker.
     */
    async probe(timeoutMs) {
      const { Kafka, logLevel } = (await import('kafkajs')).default;
      const kafka = new Kafka({
        clientId: 'userstream-stack-probe',
        brokers: [this.address],
        ...node.security?.client,
        logLevel: logLevel.NOTHING,
        connectionTimeout: Math.min(timeoutMs, 3000),
        requestTimeout: timeoutMs,
        retry: { retries: 0 },
      });
      const admin = kafka.admin();
      try {
        const cluster = await withTimeout(
          admin.connect().then(() => admin.describeCluster()),
          timeoutMs,
          'Kafka did not answer in time',
        );
        if (cluster.brokers.length === 0) throw new Error('Kafka answered without any broker yet');
        if (clustered && !cluster.brokers.some((broker) => broker.nodeId === node.index)) {
          throw new Error(`${node.title} is not a registered broker yet`);
        }
        return { clusterId: cluster.clusterId, brokers: cluster.brokers.length };
      } finally {
        await admin.disconnect().catch(() => {
          /* a probe that never connected has nothing to close */
        });
      }
    },
  };
}

function serverProperties(config, node, dataDir) {
  const clustered = node.hosts.length > 1;
  const { kafkaPort: port, kafkaControllerPort: controllerPort } = config;
  // One node cannot hold 3 replicas: RF 1 everywhere. Three nodes: every
  // topic, the internal ones too, gets 3 replicas and needs 2 in sync to
  // accept an acks=all write, and a replica that fell out of sync never
  // becomes leader (which would drop the writes it missed).
  const replication = clustered ? { factor: node.hosts.length, minIsr: 2 } : { factor: 1, minIsr: 1 };
  const listener = node.security?.protocol ?? 'PLAINTEXT';
  const lines = [
    '# Written by tools/stack on every start; edit tools/stack/internal/kafka.mjs instead.',
    'process.roles=broker,controller',
    `node.id=${node.index}`,
    `listeners=${listener}://${node.host}:${port},CONTROLLER://${node.host}:${controllerPort}`,
    `advertised.listeners=${listener}://${node.host}:${port}`,
    `listener.security.protocol.map=${listener}:${listener},CONTROLLER:PLAINTEXT`,
    `inter.broker.listener.name=${listener}`,
    'controller.listener.names=CONTROLLER',
    clustered
      ? // A fixed set of voters: the quorum is all three nodes from the start.
        `controller.quorum.voters=${node.hosts.map((host, i) => `${i + 1}@${host}:${controllerPort}`).join(',')}`
      : // Bootstrap servers, not voters: `format --standalone` insists on this style.
        `controller.quorum.bootstrap.servers=${node.host}:${controllerPort}`,
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    `default.replication.factor=${replication.factor}`,
    `min.insync.replicas=${replication.minIsr}`,
    'unclean.leader.election.enable=false',
    'auto.create.topics.enable=true',
    // The internal topics default to 3 replicas / min ISR 2; one node needs 1 / 1.
    `offsets.topic.replication.factor=${replication.factor}`,
    `transaction.state.log.replication.factor=${replication.factor}`,
    `transaction.state.log.min.isr=${replication.minIsr}`,
    `share.coordinator.state.topic.replication.factor=${replication.factor}`,
    `share.coordinator.state.topic.min.isr=${replication.minIsr}`,
    // Consumer groups form at once instead of after 3 s.
    'group.initial.rebalance.delay.ms=0',
    ...(node.security?.properties ?? []),
  ];
  return `${lines.join('\n')}\n`;
}

function log4jConfig(logFile) {
  const file = xmlEscape(logFile);
  // Loggers that print a line per partition, request or config value at INFO
  // (the internal topics alone have 100 partitions).
  const quiet = [
    'kafka.request.logger',
    'state.change.logger',
    'kafka.log.LogCleaner',
    'org.apache.kafka.storage.internals.log',
    'org.apache.kafka.common.config.AbstractConfig',
    'org.apache.kafka.clients',
    'kafka.cluster.Partition',
    'org.apache.kafka.controller.PartitionChangeBuilder',
    'org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime',
    'kafka.coordinator.transaction.TransactionStateManager',
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by tools/stack on every start. -->
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <RollingFile name="server" fileName="${file}" filePattern="${file}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="50 MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="server"/>
    </Root>
${quiet.map((name) => `    <Logger name="${name}" level="WARN"/>`).join('\n')}
  </Loggers>
</Configuration>
`;
}

/**
 * KRaft needs its log dir formatted once with a cluster id. The controller
 * addresses are written into the formatted metadata, so changed controller
 * addresses mean formatting again (losing the dev data, which we say).
 */
async function formatStorageOnce(server, java, files, config, node, log) {
  // The SCRAM users are written when the storage is formatted: a secured node formats apart.
  const quorum = node.hosts.map((host) => `${host}:${config.kafkaControllerPort}`).join(',') + (node.security ? ' (SASL_SSL)' : '');
  const formatted = fs.existsSync(path.join(files.dataDir, 'meta.properties'));
  const record = readJson(files.formatRecord);
  const recordedQuorum = record?.quorum ?? (record?.controllerPort ? `${node.host}:${record.controllerPort}` : undefined);
  if (formatted && recordedQuorum === quorum) return;
  if (formatted) {
    log(`The ${node.title} controller address changed from ${recordedQuorum ?? 'unknown'} to ${quorum}; ` + 'wiping its data and formatting again.');
  }
  fs.rmSync(files.dataDir, { recursive: true, force: true });

  if (node.hosts.length > 1) {
    const clusterId = sharedClusterId(files.clusterId, quorum);
    await runStorageTool(server, java, files, ['format', '-t', clusterId, '-c', files.properties]);
    fs.writeFileSync(files.formatRecord, JSON.stringify({ clusterId, quorum }));
    return;
  }
  const clusterId = (await runStorageTool(server, java, files, ['random-uuid'])).trim();
  await runStorageTool(server, java, files, ['format', '-t', clusterId, '-c', files.properties, '--standalone', ...(node.security?.formatArgs ?? [])]);
  fs.writeFileSync(files.formatRecord, JSON.stringify({ clusterId, controllerPort: config.kafkaControllerPort, quorum }));
}

/**
 * The cluster id every node of a cluster is formatted with, made once (a
 * Kafka Uuid: 16 random bytes, base64url, never starting with "-") and kept
 * beside the nodes for as long as the quorum stays the same. Synchronous, so
 * nodes prepared side by side in one process all see the first one's id.
 */
function sharedClusterId(file, quorum) {
  const saved = readJson(file);
  if (saved?.quorum === quorum && saved.clusterId) return saved.clusterId;
  let clusterId;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  fs.writeFileSync(file, JSON.stringify({ clusterId, quorum }));
  return clusterId;
}

function runStorageTool(server, java, files, args) {
  const javaArgs = [`-Dlog4j2.configurationFile=${files.log4j}`, '-cp', path.join(server.libDir, '*'), 'kafka.tools.StorageTool', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(java.bin, javaArgs, { cwd: server.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(stdout);
      reject(new Error(`Kafka's StorageTool ${args[0]} failed (exit code ${code}).\n${stdout}${stderr}`.trimEnd()));
    });
  });
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
