// The `secure` shape: the one-node stack of shapes.mjs with authentication
// and TLS on both servers (see secure.mjs), in <stack dir>/secure so it never
// shares data with the plain stack. The CA, certificates and passwords are
// made on first use, not when the shape is merely listed.

import fs from 'node:fs';
import path from 'node:path';
import { HOST, LOCAL_DATA_CENTER } from './config.mjs';
import { cassandraServer } from './cassandra.mjs';
import { kafkaServer } from './kafka.mjs';
import { APP_USER, cassandraSecurity, kafkaSecurity, securityMaterial, setUpCassandraRoles } from './secure.mjs';

/** An object whose properties are computed from `make()` on first access. */
function lazy(make, keys) {
  let value;
  const target = {};
  for (const key of keys) Object.defineProperty(target, key, { enumerable: true, get: () => (value ??= make())[key] });
  return target;
}

export const secureShape = {
  nodes: 1,
  secure: true,
  describe: 'one Kafka node (SASL_SSL) and one Cassandra node (passwords, TLS)',
  build(config) {
    const root = path.join(config.stackDir, 'secure');
    const material = () => securityMaterial(root);
    const hosts = [HOST];
    const cassandraDir = path.join(root, 'cassandra');
    // Marks a Cassandra whose roles are set up; it lives with the data, so a wiped node sets them up again.
    const rolesDone = path.join(cassandraDir, 'data', 'userstream-roles-done');
    const cassandraSec = lazy(() => {
      const sec = cassandraSecurity(material());
      return {
        ...sec,
        async setUpRoles(connect) {
          if (fs.existsSync(rolesDone)) return;
          await setUpCassandraRoles(connect, sec);
          fs.writeFileSync(rolesDone, `${new Date().toISOString()}\n`);
        },
      };
    }, ['yaml', 'jvmArgs', 'ssl', 'admin', 'app', 'setUpRoles']);
    const kafka = kafkaServer(config, {
      id: 'secure-kafka',
      index: 1,
      title: 'Kafka (SASL_SSL)',
      dir: path.join(root, 'kafka'),
      host: HOST,
      hosts,
      heap: { min: '512m', max: '1g' },
      security: lazy(() => kafkaSecurity(material()), ['protocol', 'properties', 'formatArgs', 'client']),
    });
    const cassandra = cassandraServer(config, {
      id: 'secure-cassandra',
      index: 1,
      title: 'Cassandra (password, TLS)',
      dir: cassandraDir,
      host: HOST,
      hosts,
      heap: { min: '1536m', max: '1536m' },
      security: cassandraSec,
    });
    const files = path.join(root, 'tls');
    return {
      // Ids of their own: the processes of this shape are never taken for the plain stack's in the same dir.
      servers: [kafka, cassandra],
      tracks: [[[kafka]], [[cassandra]]],
      env: {
        KAFKA_BROKERS: kafka.address,
        CASSANDRA_CONTACT_POINTS: cassandra.address,
        CASSANDRA_LOCAL_DC: LOCAL_DATA_CENTER,
        // TLS with the stack's CA; the app user's passwords as files (<NAME>_FILE).
        KAFKA_SSL_CA_FILE: path.join(files, 'ca.pem'),
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: APP_USER,
        KAFKA_SASL_PASSWORD_FILE: path.join(files, 'kafka-userstream.password'),
        CASSANDRA_SSL_CA_FILE: path.join(files, 'ca.pem'),
        CASSANDRA_USERNAME: APP_USER,
        CASSANDRA_PASSWORD_FILE: path.join(files, 'cassandra-userstream.password'),
      },
    };
  },
};
