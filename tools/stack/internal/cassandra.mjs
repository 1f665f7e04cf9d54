// Cassandra: one node that seeds itself, or one node of a cluster whose
// first node is the seed.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMMITLOG_MODES, LOCAL_DATA_CENTER, TOOLS_DIR } from './config.mjs';
import { withTimeout, xmlEscape } from './util.mjs';

// From Cassandra's conf/jvm17-server.options: the JDK internals it reaches
// into. A missing one fails at start-up with InaccessibleObjectException
// (java.io shows up as FileDescriptor.fd, for example).
const JDK17_MODULE_FLAGS = [
  '--add-exports',
  'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports',
  'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports',
  'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports',
  'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports',
  'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports',
  'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports',
  'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports',
  'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports',
  'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens',
  'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens',
  'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens',
  'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.io=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.util=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.nio=ALL-UNNAMED',
];

/**
 * One Cassandra node. `node`: `{ id, index, title, dir, host, hosts, heap,
 * jmxPort, security? }` (see shapes.mjs); `hosts` lists every node's
 * address, the first being the seed. `security` (secure.mjs) turns on
 * password authentication, authorization and client TLS.
 */
export function cassandraServer(config, node) {
  const { dir } = node;
  const files = {
    yaml: path.join(dir, 'cassandra.yaml'),
    logback: path.join(dir, 'logback.xml'),
    dataDir: path.join(dir, 'data'),
    tmpDir: path.join(dir, 'tmp'),
  };

  return {
    id: node.id,
    kind: 'cassandra',
    index: node.index,
    title: node.title,
    pom: path.join(TOOLS_DIR, 'cassandra', 'pom.xml'),
    mainJarPrefix: 'cassandra-all-',
    dir,
    // The jars are the same for every node and shape: one copy per stack dir.
    libDir: path.join(config.stackDir, 'cassandra', 'lib'),
    logFile: path.join(dir, 'logs', 'system.log'),
    outFile: path.join(dir, 'logs', 'stdout.log'),
    pidFile: path.join(dir, 'cassandra.pid'),
    host: node.host,
    ports: [
      { variable: 'CASSANDRA_PORT', port: config.cassandraPort },
      { variable: 'CASSANDRA_STORAGE_PORT', port: config.cassandraStoragePort },
      // JMX listens on 127.0.0.1 whatever the node's address, so each node has its own port.
      ...(node.jmxPort ? [{ variable: 'CASSANDRA_JMX_PORT', port: node.jmxPort, host: '127.0.0.1' }] : []),
    ],
    address: `${node.host}:${config.cassandraPort}`,
    commitlog: config.cassandraCommitlog,

    async prepare(java, log) {
      for (const sub of ['logs', 'data', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.writeFileSync(files.yaml, cassandraYaml(config, node));
      if (config.cassandraCommitlog !== 'batch') {
        log(`${node.title}: commit log ${config.cassandraCommitlog}, ${COMMITLOG_MODES[config.cassandraCommitlog]} ` + '(STACK_CASSANDRA_COMMITLOG).');
      }
      fs.writeFileSync(files.logback, logbackConfig(this.logFile));
    },

    jvmArgs() {
      const jamm = findJar(this.libDir, 'jamm-');
      return [
        // An explicit heap: left alone the JVM takes a quarter of the RAM.
        // G1 sizes the young generation itself (no -Xmn, which would pin it).
        `-Xms${node.heap.min}`,
        `-Xmx${node.heap.max}`,
        '-XX:+UseG1GC',
        '-XX:+ParallelRefProcEnabled',
        '-XX:MaxGCPauseMillis=300',
        '-Xss256k',
        '-XX:+UseThreadPriorities',
        // Stop rather than limp on after an OutOfMemoryError (Cassandra warns otherwise).
        '-XX:+ExitOnOutOfMemoryError',
        '-XX:+PerfDisableSharedMem',
        '-Djava.net.preferIPv4Stack=true',
        '-Djdk.attach.allowAttachSelf=true',
        ...JDK17_MODULE_FLAGS,
        // Netty settings that Cassandra's jvm17-server.options also sets.
        '-Dio.netty.tryReflectionSetAccessible=true',
        '-Dio.netty.allocator.useCacheForAllThreads=true',
        '-Dio.netty.allocator.maxOrder=11',
        ...(jamm ? [`-javaagent:${jamm}`] : []),
        `-Dcassandra.config=${pathToFileURL(files.yaml).href}`,
        '-Dcassandra-foreground=yes',
        `-Dcassandra.storagedir=${files.dataDir}`,
        `-Dcassandra.logdir=${path.dirname(this.logFile)}`,
        `-Dlogback.configurationFile=${files.logback}`,
        // No waiting for gossip to settle on a cluster of one. Never
        // -Dcassandra.unsafesystem: after a kill -9 it loses freshly created
        // tables and, with them, every acknowledged row written to them.
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        // JNA unpacks a native library; keep it out of a possibly noexec /tmp.
        `-Djna.tmpdir=${files.tmpDir}`,
        // nodetool reaches a node of a cluster here (JMX is off on a single node).
        ...(node.jmxPort ? [`-Dcassandra.jmx.local.port=${node.jmxPort}`] : []),
        ...(node.security?.jvmArgs ?? []),
      ];
    },
    mainClass: 'org.apache.cassandra.service.CassandraDaemon',
    mainArgs: [],

    /**
     * One CQL query answered by this node (not by another one of the
     * cluster); resolves with its release_version and how many other nodes
     * it knows of.
     */
    async probe(timeoutMs) {
      const { Client, policies } = (await import('cassandra-driver')).default;
      const { DCAwareRoundRobinPolicy, WhiteListPolicy } = policies.loadBalancing;
      const options = (credentials) => ({
        contactPoints: [this.address],
        localDataCenter: LOCAL_DATA_CENTER,
        protocolOptions: { port: config.cassandraPort },
        socketOptions: { connectTimeout: Math.min(timeoutMs, 3000), readTimeout: timeoutMs },
        policies: { loadBalancing: new WhiteListPolicy(new DCAwareRoundRobinPolicy(LOCAL_DATA_CENTER), [this.address]) },
        ...(node.security ? { sslOptions: node.security.ssl, credentials } : {}),
      });
      if (node.security) {
        // The roles first (once per fresh node), then the probe as the app's own user.
        const connect = async (credentials) => {
          const admin = new Client(options(credentials));
          try {
            await withTimeout(admin.connect(), timeoutMs, 'Cassandra did not answer in time');
          } catch (error) {
            await admin.shutdown().catch(() => {
              /* never connected */
            });
            throw error;
          }
          return admin;
        };
        await node.security.setUpRoles(connect);
      }
      const client = new Client(options(node.security?.app));
      try {
        const [local, peers] = await withTimeout(
          client
            .connect()
            .then(() => Promise.all([client.execute('SELECT release_version FROM system.local'), client.execute('SELECT peer FROM system.peers')])),
          timeoutMs,
          'Cassandra did not answer in time',
        );
        return { version: local.first().release_version, peers: peers.rowLength };
      } finally {
        await client.shutdown().catch(() => {
          /* a probe that never connected has nothing to close */
        });
      }
    },
  };
}

/** Murmur3 tokens spread evenly over the ring, one per node (num_tokens 1). */
export function evenTokens(count) {
  const span = 2n ** 64n;
  return Array.from({ length: count }, (_, i) => String(-(2n ** 63n) + (span * BigInt(i)) / BigInt(count)));
}

function cassandraYaml(config, node) {
  const clustered = node.hosts.length > 1;
  // One node owns the whole ring whatever its token; 0 is what it always had.
  const token = clustered ? evenTokens(node.hosts.length)[node.index - 1] : '0';
  const commitlog = {
    periodic: `# NOT durable (STACK_CASSANDRA_COMMITLOG=periodic): writes are acknowledged
# before they are fsynced, so a kill -9 can lose up to 10 s of them.
commitlog_sync: periodic
commitlog_sync_period: 10000ms`,
    // A write in a multi-partition batch is applied by the coordinator one
    // mutation after the other, each waiting for its sync: with \`group\` each
    // waits for the next 2 ms tick, with \`batch\` only for the fsync itself.
    batch: `# Durable: a write is acknowledged only after the commit-log segment that
# holds it is fsynced; a sync starts as soon as a write waits for one, and
# writes that arrive during it share the next.
commitlog_sync: batch`,
    group: `# Durable: a write is acknowledged only after the commit-log segment that
# holds it is fsynced; syncs run every 2 ms and cover the writes between them.
commitlog_sync: group
commitlog_sync_group_window: 2ms`,
  }[config.cassandraCommitlog];
  // Everything not named here keeps Cassandra 5.0's built-in default; data,
  // commit log, hints and caches go under -Dcassandra.storagedir.
  return `# Written by tools/stack on every start; edit tools/stack/internal/cassandra.mjs instead.
cluster_name: ${clustered ? 'userstream-cluster' : 'userstream-dev'}
num_tokens: 1
initial_token: ${token}
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
${commitlog}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${node.hosts[0]}:${config.cassandraStoragePort}"
listen_address: ${node.host}
rpc_address: ${node.host}
storage_port: ${config.cassandraStoragePort}
native_transport_port: ${config.cassandraPort}
start_native_transport: true
${node.security?.yaml ?? ''}
# A fresh cluster has no 4.x nodes to stay compatible with.
storage_compatibility_mode: NONE
# Tests drop and recreate keyspaces; snapshots of them would only fill the disk.
auto_snapshot: false
# The sink writes UNLOGGED batches of rows that share a replica, up to 40 KiB
# (CASSANDRA_BATCH_BYTES): warn only near the 50 KiB fail threshold, not on
# every batch.
batch_size_warn_threshold: 48KiB
unlogged_batch_across_partitions_warn_threshold: 1000
${
  clustered
    ? `# The nodes join an empty cluster with their token given above: there is
# nothing to stream, so they skip bootstrapping (and its 30 s wait).
auto_bootstrap: false
`
    : ''
}`;
}

function logbackConfig(logFile) {
  const file = xmlEscape(logFile);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by tools/stack on every start. Without it logback logs DEBUG to the console. -->
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>${file}</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>${file}.%i</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>50MB</maxFileSize>
    </triggeringPolicy>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="FILE"/>
  </root>
</configuration>
`;
}

function findJar(libDir, prefix) {
  try {
    const name = fs.readdirSync(libDir).find((file) => file.startsWith(prefix) && file.endsWith('.jar'));
    return name ? path.join(libDir, name) : null;
  } catch {
    return null;
  }
}
