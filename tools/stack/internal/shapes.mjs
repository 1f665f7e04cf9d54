// The shapes a stack can have. A shape says which servers there are, where
// each listens, in what order they start, and which variables tell the apps
// and tests how to use them. Everything else (starting, probing, stopping,
// locking) is shape-blind and lives in stack-lib.mjs.
//
// To add a shape (or a variant of one), add an entry to SHAPES; a server
// definition is what kafkaServer / cassandraServer return.

import fs from 'node:fs';
import path from 'node:path';
import { HOST, LOCAL_DATA_CENTER, clusterNodeHost } from './config.mjs';
import { cassandraServer } from './cassandra.mjs';
import { kafkaServer } from './kafka.mjs';
import { secureShape } from './secure-shape.mjs';

const SHAPES = {
  // The one-node stack with authentication and TLS everywhere (`--secure`), in its own directory.
  secure: secureShape,

  // The dev stack: one Kafka and one Cassandra on 127.0.0.1, RF 1.
  single: {
    nodes: 1,
    describe: 'one Kafka node and one Cassandra node',
    build(config) {
      const hosts = [HOST];
      const kafka = kafkaServer(config, {
        id: 'kafka',
        index: 1,
        title: 'Kafka',
        dir: path.join(config.stackDir, 'kafka'),
        host: HOST,
        hosts,
        heap: { min: '512m', max: '1g' },
      });
      const cassandra = cassandraServer(config, {
        id: 'cassandra',
        index: 1,
        title: 'Cassandra',
        dir: path.join(config.stackDir, 'cassandra'),
        host: HOST,
        hosts,
        heap: { min: '1536m', max: '1536m' },
      });
      return {
        servers: [kafka, cassandra],
        // Two tracks side by side, one server each.
        tracks: [[[kafka]], [[cassandra]]],
        env: {
          KAFKA_BROKERS: kafka.address,
          CASSANDRA_CONTACT_POINTS: cassandra.address,
          CASSANDRA_LOCAL_DC: LOCAL_DATA_CENTER,
        },
      };
    },
  },

  // A real cluster on one host: three Kafka brokers (KRaft, each also a
  // controller: a quorum of 3) and three Cassandra nodes, each on its own
  // loopback address (STACK_CLUSTER_HOST and the next two), with the same
  // ports on every address. Topics and keyspaces get RF 3; writes need 2 of 3.
  cluster: {
    nodes: 3,
    describe: 'three Kafka brokers and three Cassandra nodes',
    build(config) {
      const hosts = [1, 2, 3].map((index) => clusterNodeHost(config, index));
      const root = path.join(config.stackDir, 'cluster');
      const kafka = hosts.map((host, i) =>
        kafkaServer(config, {
          id: `kafka-${i + 1}`,
          index: i + 1,
          title: `Kafka node ${i + 1}`,
          dir: path.join(root, `kafka-${i + 1}`),
          host,
          hosts,
          heap: { min: '384m', max: '512m' },
        }),
      );
      const cassandra = hosts.map((host, i) =>
        cassandraServer(config, {
          id: `cassandra-${i + 1}`,
          index: i + 1,
          title: `Cassandra node ${i + 1}`,
          dir: path.join(root, `cassandra-${i + 1}`),
          host,
          hosts,
          heap: { min: '512m', max: '512m' },
          jmxPort: config.cassandraJmxPort + i,
        }),
      );
      return {
        servers: [...kafka, ...cassandra],
        tracks: [
          // The brokers only answer once a majority of controllers has elected a leader: all at once.
          [kafka],
          // A Cassandra node joins only a ring that has settled: one after another, the seed first.
          cassandra.map((server) => [server]),
        ],
        env: {
          KAFKA_BROKERS: kafka.map((server) => server.address).join(','),
          CASSANDRA_CONTACT_POINTS: cassandra.map((server) => server.address).join(','),
          CASSANDRA_LOCAL_DC: LOCAL_DATA_CENTER,
          // What the apps need to use the cluster as one: RF 3 everywhere, quorum writes.
          KAFKA_TOPIC_REPLICATION_FACTOR: '3',
          CASSANDRA_REPLICATION_FACTOR: '3',
          ORCHESTRATOR_REPLICATION_FACTOR: '3',
          CASSANDRA_CONSISTENCY: 'LOCAL_QUORUM',
        },
      };
    },
  },
};

/**
 * The shape with this many nodes. `{ name, nodes, describe, servers, tracks,
 * env }`: `tracks` run side by side; each is a list of stages started one
 * after another; the servers of a stage start together.
 */
export function buildShape(config, nodes) {
  // Callers pass a node count and secure flag that have a shape (an unknown pair throws here, as before).
  const [name, shape] = /** @type {[string, (typeof SHAPES)[keyof typeof SHAPES]]} */ (
    Object.entries(SHAPES).find(([, candidate]) => candidate.nodes === nodes && Boolean(candidate.secure) === Boolean(config.secure))
  );
  const built = shape.build(config);
  return {
    name,
    nodes,
    secure: Boolean(shape.secure),
    describe: shape.describe,
    ...built,
    env: { ...built.env, USERSTREAM_STACK_DIR: config.stackDir },
  };
}

/** Every shape, e.g. to find servers of another shape still running in a stack dir. */
export function allShapes(config) {
  return Object.values(SHAPES).map((shape) => buildShape({ ...config, secure: Boolean(shape.secure) }, shape.nodes));
}

const RECORD_FILE = 'shape.json';

/** The node count the last `up` in this stack dir used (1 when none did). */
export function recordedNodes(stackDir) {
  try {
    const { nodes } = JSON.parse(fs.readFileSync(path.join(stackDir, RECORD_FILE), 'utf8'));
    return Object.values(SHAPES).some((shape) => shape.nodes === nodes) ? nodes : 1;
  } catch {
    return 1;
  }
}

export function recordNodes(stackDir, nodes, secure = false) {
  fs.mkdirSync(stackDir, { recursive: true });
  fs.writeFileSync(path.join(stackDir, RECORD_FILE), `${JSON.stringify(secure ? { nodes, secure } : { nodes })}\n`);
}

/** Whether the last `up` in this stack dir started the secured stack. */
export function recordedSecure(stackDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(stackDir, RECORD_FILE), 'utf8')).secure === true;
  } catch {
    return false;
  }
}
