// The secured variant of the one-node stack (`stack:up -- --secure`): Kafka
// with one SASL_SSL listener (SCRAM-SHA-512, users created when the storage
// is formatted) and Cassandra with PasswordAuthenticator,
// CassandraAuthorizer, a superuser whose password is not the default and
// client TLS only. Both present a certificate signed by a CA this stack
// makes with openssl; nothing is trusted that the stack did not make.
//
// Everything lives in <stack dir>/secure/: the CA, the servers' key and
// certificate (PEM, and a PKCS12 keystore for the JVMs), and the generated
// passwords, one file each, so apps can read them through <NAME>_FILE.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The application user of Kafka and Cassandra, the one the apps log in as. */
export const APP_USER = 'userstream';
/** Kafka's own user, for the broker talking to itself. */
export const KAFKA_ADMIN_USER = 'kafka-admin';
/** Cassandra's superuser (the built-in `cassandra` role is disabled). */
export const CASSANDRA_ADMIN_USER = 'userstream_admin';

const password = () => randomBytes(18).toString('base64url');

function writeSecret(file, text) {
  fs.writeFileSync(file, text, { mode: 0o600 });
}

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Makes the CA, the server certificate (for 127.0.0.1 and localhost) and the
 * passwords once per stack dir; later calls return the same material.
 */
export function securityMaterial(root) {
  const dir = path.join(root, 'tls');
  const files = {
    dir,
    caKey: path.join(dir, 'ca.key'),
    caCert: path.join(dir, 'ca.pem'),
    serverKey: path.join(dir, 'server.key'),
    serverCert: path.join(dir, 'server.pem'),
    keystore: path.join(dir, 'server.p12'),
    keystorePassword: path.join(dir, 'keystore.password'),
    kafkaAdminPassword: path.join(dir, 'kafka-admin.password'),
    kafkaAppPassword: path.join(dir, 'kafka-userstream.password'),
    cassandraAdminPassword: path.join(dir, 'cassandra-admin.password'),
    cassandraAppPassword: path.join(dir, 'cassandra-userstream.password'),
  };
  if (!fs.existsSync(files.keystore)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const file of ['keystorePassword', 'kafkaAdminPassword', 'kafkaAppPassword', 'cassandraAdminPassword', 'cassandraAppPassword']) {
      writeSecret(files[file], password());
    }
    openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=userstream dev stack CA', '-keyout', files.caKey, '-out', files.caCert],
      dir,
    );
    const csr = path.join(dir, 'server.csr');
    const ext = path.join(dir, 'server.ext');
    fs.writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', files.serverKey, '-out', csr], dir);
    openssl(
      ['x509', '-req', '-in', csr, '-CA', files.caCert, '-CAkey', files.caKey, '-CAcreateserial', '-days', '3650', '-extfile', ext, '-out', files.serverCert],
      dir,
    );
    openssl(
      [
        'pkcs12',
        '-export',
        '-in',
        files.serverCert,
        '-inkey',
        files.serverKey,
        '-certfile',
        files.caCert,
        '-name',
        'server',
        '-out',
        files.keystore,
        '-passout',
        `file:${files.keystorePassword}`,
      ],
      dir,
    );
    for (const file of [files.caKey, files.serverKey]) fs.chmodSync(file, 0o600);
    fs.rmSync(csr);
  }
  const read = (file) => fs.readFileSync(files[file], 'utf8').trim();
  return {
    files,
    keystorePassword: read('keystorePassword'),
    kafka: { adminUser: KAFKA_ADMIN_USER, adminPassword: read('kafkaAdminPassword'), user: APP_USER, password: read('kafkaAppPassword') },
    cassandra: { adminUser: CASSANDRA_ADMIN_USER, adminPassword: read('cassandraAdminPassword'), user: APP_USER, password: read('cassandraAppPassword') },
  };
}

/** What the Kafka node needs: its listener protocol, extra properties and format arguments, and a client for probes. */
export function kafkaSecurity(material) {
  const { files, keystorePassword, kafka } = material;
  const jaas = (user, pw) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${pw}";`;
  return {
    protocol: 'SASL_SSL',
    properties: [
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas(kafka.adminUser, kafka.adminPassword)}`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.location=${files.keystore}`,
      `ssl.keystore.password=${keystorePassword}`,
      `ssl.key.password=${keystorePassword}`,
      // The broker is its own client on this listener: it trusts the stack's CA.
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${files.caCert}`,
      'ssl.client.auth=none',
      'ssl.endpoint.identification.algorithm=https',
    ],
    formatArgs: [
      '--add-scram',
      `SCRAM-SHA-512=[name=${kafka.adminUser},password=${kafka.adminPassword}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${kafka.user},password=${kafka.password}]`,
    ],
    client: {
      ssl: { ca: [fs.readFileSync(files.caCert)], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: kafka.user, password: kafka.password },
    },
  };
}

/** What the Cassandra node needs: yaml lines, JVM flags, and the credentials and TLS for probes. */
export function cassandraSecurity(material) {
  const { files, keystorePassword, cassandra } = material;
  return {
    yaml: `authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${files.keystore}
  keystore_password: ${keystorePassword}
  store_type: PKCS12
  require_client_auth: false
`,
    // The default superuser exists at once instead of after 10 s; it is disabled right after.
    jvmArgs: ['-Dcassandra.superuser_setup_delay_ms=0'],
    ssl: { ca: [fs.readFileSync(files.caCert)], rejectUnauthorized: true },
    admin: { username: cassandra.adminUser, password: cassandra.adminPassword },
    app: { username: cassandra.user, password: cassandra.password },
  };
}

/**
 * Once per fresh Cassandra: creates the stack's superuser and the app's role
 * (allowed to create and use keyspaces, nothing more), and disables the
 * built-in `cassandra` superuser, which comes with the well-known password
 * "cassandra". `connect(credentials)` returns a connected client.
 */
export async function setUpCassandraRoles(connect, security) {
  let admin;
  try {
    admin = await connect(security.admin);
  } catch (error) {
    if (!/authentication|credentials|password/i.test(String(error?.message))) throw error;
    const builtIn = await connect({ username: 'cassandra', password: 'cassandra' });
    try {
      await builtIn.execute(
        `CREATE ROLE IF NOT EXISTS ${security.admin.username} WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = '${security.admin.password}'`,
      );
    } finally {
      await builtIn.shutdown();
    }
    admin = await connect(security.admin);
  }
  try {
    await admin.execute(`CREATE ROLE IF NOT EXISTS ${security.app.username} WITH LOGIN = true AND PASSWORD = '${security.app.password}'`);
    await admin.execute(`GRANT CREATE ON ALL KEYSPACES TO ${security.app.username}`);
    await admin.execute(`GRANT SELECT ON KEYSPACE system TO ${security.app.username}`).catch(() => undefined);
    await admin.execute(`ALTER ROLE cassandra WITH PASSWORD = '${randomBytes(24).toString('base64url')}' AND SUPERUSER = false AND LOGIN = false`);
  } finally {
    await admin.shutdown();
  }
}
