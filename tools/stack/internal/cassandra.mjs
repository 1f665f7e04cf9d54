// Cassandra as a single node that seeds itself.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOST, LOCAL_DATA_CENTER, TOOLS_DIR } from './config.mjs';
import { withTimeout, xmlEscape } from './util.mjs';

// From Cassandra's conf/jvm17-server.options: the JDK internals it reaches
// into. A missing one fails at start-up with InaccessibleObjectException
// (java.io shows up as FileDescriptor.fd, for example).
const JDK17_MODULE_FLAGS = [
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports', 'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports', 'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports', 'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports', 'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports', 'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports', 'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens', 'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.base/java.io=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
  '--add-opens', 'java.base/java.nio=ALL-UNNAMED',
];

export function cassandraServer(config) {
  const dir = path.join(config.stackDir, 'cassandra');
  const files = {
    yaml: path.join(dir, 'cassandra.yaml'),
    logback: path.join(dir, 'logback.xml'),
    dataDir: path.join(dir, 'data'),
    tmpDir: path.join(dir, 'tmp'),
  };

  return {
    id: 'cassandra',
    title: 'Cassandra',
    pom: path.join(TOOLS_DIR, 'cassandra', 'pom.xml'),
    mainJarPrefix: 'cassandra-all-',
    dir,
    libDir: path.join(dir, 'lib'),
    logFile: path.join(dir, 'logs', 'system.log'),
    outFile: path.join(dir, 'logs', 'stdout.log'),
    pidFile: path.join(dir, 'cassandra.pid'),
    ports: [
      { variable: 'CASSANDRA_PORT', port: config.cassandraPort },
      { variable: 'CASSANDRA_STORAGE_PORT', port: config.cassandraStoragePort },
    ],
    address: `${HOST}:${config.cassandraPort}`,

    async prepare() {
      for (const sub of ['logs', 'data', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.writeFileSync(files.yaml, cassandraYaml(config));
      fs.writeFileSync(files.logback, logbackConfig(this.logFile));
    },

    jvmArgs() {
      const jamm = findJar(this.libDir, 'jamm-');
      return [
        // An explicit heap: left alone the JVM takes a quarter of the RAM.
        // G1 sizes the young generation itself (no -Xmn, which would pin it).
        '-Xms1536m',
        '-Xmx1536m',
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
      ];
    },
    mainClass: 'org.apache.cassandra.service.CassandraDaemon',
    mainArgs: [],

    /** One CQL query; resolves with the server's release_version. */
    async probe(timeoutMs) {
      const { Client } = (await import('cassandra-driver')).default;
      const client = new Client({
        contactPoints: [HOST],
        localDataCenter: LOCAL_DATA_CENTER,
        protocolOptions: { port: config.cassandraPort },
        socketOptions: { connectTimeout: Math.min(timeoutMs, 3000), readTimeout: timeoutMs },
      });
      try {
        const result = await withTimeout(
          client.connect().then(() => client.execute('SELECT release_version FROM system.local')),
          timeoutMs,
          'Cassandra did not answer in time',
        );
        return { version: result.first().release_version };
      } finally {
        await client.shutdown().catch(() => { /* a probe that never connected has nothing to close */ });
      }
    },
  };
}

function cassandraYaml(config) {
  // Everything not named here keeps Cassandra 5.0's built-in default; data,
  // commit log, hints and caches go under -Dcassandra.storagedir.
  return `# Written by tools/stack on every start; edit tools/stack/internal/cassandra.mjs instead.
cluster_name: userstream-dev
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
# Durable: a write is acknowledged only after the commit-log segment that
# holds it is fsynced, so a kill -9 of this process never loses an
# acknowledged row. Writes arriving within the window share one fsync.
commitlog_sync: group
commitlog_sync_group_window: 2ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${HOST}:${config.cassandraStoragePort}"
listen_address: ${HOST}
rpc_address: ${HOST}
storage_port: ${config.cassandraStoragePort}
native_transport_port: ${config.cassandraPort}
start_native_transport: true
# A fresh cluster has no 4.x nodes to stay compatible with.
storage_compatibility_mode: NONE
# Tests drop and recreate keyspaces; snapshots of them would only fill the disk.
auto_snapshot: false
`;
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
