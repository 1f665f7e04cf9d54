// Kafka as one KRaft node that is both broker and controller.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HOST, TOOLS_DIR } from './config.mjs';
import { withTimeout, xmlEscape } from './util.mjs';

export function kafkaServer(config) {
  const dir = path.join(config.stackDir, 'kafka');
  const files = {
    properties: path.join(dir, 'server.properties'),
    log4j: path.join(dir, 'log4j2.xml'),
    dataDir: path.join(dir, 'data'),
    formatRecord: path.join(dir, 'format.json'),
  };

  return {
    id: 'kafka',
    title: 'Kafka',
    pom: path.join(TOOLS_DIR, 'kafka', 'pom.xml'),
    mainJarPrefix: 'kafka_2.13-',
    dir,
    libDir: path.join(dir, 'lib'),
    logFile: path.join(dir, 'logs', 'server.log'),
    outFile: path.join(dir, 'logs', 'stdout.log'),
    pidFile: path.join(dir, 'kafka.pid'),
    ports: [
      { variable: 'KAFKA_PORT', port: config.kafkaPort },
      { variable: 'KAFKA_CONTROLLER_PORT', port: config.kafkaControllerPort },
    ],
    address: `${HOST}:${config.kafkaPort}`,

    async prepare(java, log) {
      fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
      fs.writeFileSync(files.properties, serverProperties(config, files.dataDir));
      fs.writeFileSync(files.log4j, log4jConfig(this.logFile));
      await formatStorageOnce(this, java, files, config, log);
    },

    jvmArgs() {
      // The heap and GC flags of Kafka's own start scripts.
      return [
        '-Xms512m',
        '-Xmx1g',
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

    /** One metadata round trip; resolves with what the broker told us. */
    async probe(timeoutMs) {
      const { Kafka, logLevel } = (await import('kafkajs')).default;
      const kafka = new Kafka({
        clientId: 'userstream-stack-probe',
        brokers: [this.address],
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
        return { clusterId: cluster.clusterId };
      } finally {
        await admin.disconnect().catch(() => { /* a probe that never connected has nothing to close */ });
      }
    },
  };
}

function serverProperties(config, dataDir) {
  const lines = [
    '# Written by tools/stack on every start; edit tools/stack/internal/kafka.mjs instead.',
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://${HOST}:${config.kafkaPort},CONTROLLER://${HOST}:${config.kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${config.kafkaPort}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    // Bootstrap servers, not voters: `format --standalone` insists on this style.
    `controller.quorum.bootstrap.servers=${HOST}:${config.kafkaControllerPort}`,
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=true',
    // The internal topics default to 3 replicas / min ISR 2, which one node never satisfies.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Consumer groups form at once instead of after 3 s.
    'group.initial.rebalance.delay.ms=0',
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
 * address is written into the formatted metadata, so a changed controller
 * port means formatting again (losing the dev data, which we say).
 */
async function formatStorageOnce(server, java, files, config, log) {
  const formatted = fs.existsSync(path.join(files.dataDir, 'meta.properties'));
  const record = readJson(files.formatRecord);
  if (formatted && record?.controllerPort === config.kafkaControllerPort) return;
  if (formatted) {
    log(`The Kafka controller port changed from ${record?.controllerPort ?? 'unknown'} to ` +
      `${config.kafkaControllerPort}; wiping the Kafka data and formatting again.`);
  }
  fs.rmSync(files.dataDir, { recursive: true, force: true });

  const clusterId = (await runStorageTool(server, java, files, ['random-uuid'])).trim();
  await runStorageTool(server, java, files, [
    'format', '-t', clusterId, '-c', files.properties, '--standalone',
  ]);
  fs.writeFileSync(files.formatRecord, JSON.stringify({ clusterId, controllerPort: config.kafkaControllerPort }));
}

function runStorageTool(server, java, files, args) {
  const javaArgs = [
    `-Dlog4j2.configurationFile=${files.log4j}`,
    '-cp', path.join(server.libDir, '*'),
    'kafka.tools.StorageTool',
    ...args,
  ];
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
