// Exact accounting of a pipeline test, read back by clients that are not ours
// (accounting.py: kcat, kafka-python and the DataStax Python driver), so a bug in
// our own Kafka or Cassandra code cannot hide itself.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'accounting.py');
const PYTHON = process.env.USERSTREAM_CHECK_PYTHON || '/usr/bin/python3';

/**
 * Reads the topic, the group's committed offsets, the dead-letter topic and
 * (when `keyspace` is given) the table, and prints one accounting line.
 * @param {string} scenario
 * @param {{ brokers: string, topic: string, group?: string, contactPoints: string, keyspace?: string, table?: string }} options
 */
export async function accounting(scenario, options) {
  const args = [SCRIPT, '--brokers', options.brokers, '--topic', options.topic, '--cassandra', options.contactPoints];
  if (options.group) args.push('--group', options.group);
  if (options.keyspace) args.push('--keyspace', options.keyspace);
  if (options.table) args.push('--table', options.table);
  const { stdout } = await promisify(execFile)(PYTHON, args, { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }).catch((error) => ({
    stdout: error.stdout || JSON.stringify({ error: error.message }),
  }));
  const result = JSON.parse(stdout);
  if (result.error) throw new Error(`accounting (${scenario}) failed: ${result.error}`);
  console.log(
    `[${scenario}] topic records ${result.topicRecords}, topic ids ${result.topicIds} ` +
      `(duplicates on the topic ${result.topicRecords - result.topicIds}), rows ${result.rows}, ` +
      `missing ${result.missing}, extra ${result.extra}, committed lag ${result.committedLag ?? 'n/a'}, dlq ${result.dlq}`,
  );
  return result;
}
