#!/usr/bin/env node
// npm run stack:up | stack:down | stack:status [-- --json]
// See stack-lib.mjs for what the stack is; this file only parses the
// command line, prints and sets the exit code.

import { ConfigError, StackError, killServer, stackDown, stackStatus, stackUp, startServers } from './stack-lib.mjs';

const USAGE = `Usage: node tools/stack/stack.mjs <up|down|status|kill> [server...] [--nodes 1|3] [--secure] [--json]

  up       start Kafka and Cassandra (if not running) and wait until all answer
  down     stop them (SIGTERM, then SIGKILL after 30 s)
  status   show whether each is running and answering; exit 0 only if all are
           --json prints the status as JSON
  kill     kill -9 one server (e.g. "kill cassandra-2"), to try a crash by hand
  --nodes 3  a cluster: three Kafka brokers and three Cassandra nodes on
           127.0.0.1, 127.0.0.2, 127.0.0.3 (RF 3). Without it, up starts one
           node of each, and down/status use the shape of the last up.
  --secure   one node of each with SASL_SSL (SCRAM-SHA-512) on Kafka and
           PasswordAuthenticator + client TLS on Cassandra, certificates from a
           CA the stack makes; prints the variables the apps need.
  Naming servers (kafka, cassandra, or one node such as kafka-2) starts or
  stops only those.

Environment: USERSTREAM_STACK_DIR, STACK_NODES, STACK_CLUSTER_HOST, KAFKA_PORT,
KAFKA_CONTROLLER_PORT, CASSANDRA_PORT, CASSANDRA_STORAGE_PORT, CASSANDRA_JMX_PORT,
STACK_CASSANDRA_COMMITLOG, STACK_START_TIMEOUT_MS, STACK_STOP_TIMEOUT_MS,
JAVA_HOME (must be a JDK 17).`;

const STATE_TEXT = {
  ready: 'is running and answering',
  'not-ready': 'is running but not answering yet',
  stopped: 'is stopped',
};

/** `[command, names, flags]`; `--nodes 3` and `--nodes=3` both work. */
function parse(argv) {
  const [command, ...rest] = argv;
  const names = [];
  const flags = { json: false, nodes: undefined };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') flags.json = true;
    else if (arg === '--nodes') flags.nodes = rest[++i] ?? '';
    // The secured stack (SASL_SSL Kafka, Cassandra with passwords and TLS): the same as STACK_SECURE=1.
    else if (arg === '--secure') process.env.STACK_SECURE = '1';
    else if (arg.startsWith('--nodes=')) flags.nodes = arg.slice('--nodes='.length);
    else if (arg.startsWith('--')) throw new ConfigError(`Unknown option ${arg}.\n\n${USAGE}`);
    else names.push(arg);
  }
  return { command, names, flags };
}

async function main(argv) {
  const { command, names, flags } = parse(argv);
  const nodes = flags.nodes;
  switch (command) {
    case 'up':
      return up(names, nodes);
    case 'down':
      await stackDown({ servers: names.length > 0 ? names : undefined, nodes });
      return 0;
    case 'status':
      return status(flags.json, nodes);
    case 'kill':
      if (names.length !== 1) {
        console.error('Name the one server to kill, e.g. "kill cassandra-2".');
        return 2;
      }
      await killServer(names[0], { nodes });
      return 0;
    default:
      console.error(USAGE);
      return command ? 2 : 0;
  }
}

async function up(names, nodes) {
  // Ctrl-C while waiting stops what this `up` started instead of leaving
  // half-started JVMs behind.
  const abort = new AbortController();
  const onSignal = () => {
    console.error('Interrupted; stopping what was started...');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (names.length > 0) await startServers(names, { signal: abort.signal, nodes });
    else {
      const result = await stackUp({ signal: abort.signal, nodes });
      if (process.env.STACK_SECURE === '1') {
        // Paths only: the passwords stay in their files.
        console.log('\nThe apps reach the secured stack with:');
        for (const [name, value] of Object.entries(result.env)) console.log(`  export ${name}=${value}`);
      }
    }
    return 0;
  } catch (error) {
    if (!abort.signal.aborted) throw error;
    return 130; // the shell's code for "ended by Ctrl-C"
  }
}

async function status(asJson, nodes) {
  const result = await stackStatus({ nodes });
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    for (const server of Object.values(result.servers)) console.log(describe(server, result.nodes));
  }
  return result.ready ? 0 : 1;
}

function describe(server, nodes) {
  const where = server.state === 'stopped' ? '' : ` on ${server.address} (pid ${server.pid})`;
  const version = server.version ? `, version ${server.version}` : '';
  // In a cluster, what each node sees of the others.
  let sees = '';
  if (nodes > 1 && server.brokers !== undefined) sees = `, ${server.brokers} of ${nodes} brokers registered`;
  if (nodes > 1 && server.peers !== undefined) sees = `, knows ${server.peers} other nodes`;
  return `${server.title} ${STATE_TEXT[server.state]}${where}${version}${sees}.`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const expected = error instanceof StackError || error instanceof ConfigError;
    console.error(expected ? `Error: ${error.message}` : error);
    process.exit(1);
  },
);
