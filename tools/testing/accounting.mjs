// Exact accounting of a pipeline test, read back by clients that are not ours
// (accounting.py: kcat, kafka-python and the DataStax Python driver), so a bug in
// our own Kafka or Cassandra code cannot hide itself.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'accounting.py');
const PYTHON = process.env.USERSTREAM_CHECK_PYTHON || '/usr/bin/python3';

/**
 * Reads the topic, the group's committed offsets, the dead-letter topic and
 * (when `keyspace` is given) the table, and prints one accounting line. With
 * `expected` (the ids that should be on the topic), also compares the topic with them.
 * @param {string} scenario
 * @param {{ brokers: string, topic: string, group?: string, contactPoints: string, keyspace?: string, table?: string, expected?: string[], log?: (line: string) => void }} options
 */
export async function accounting(scenario, options) {
  const args = [SCRIPT, '--brokers', options.brokers, '--topic', options.topic, '--cassandra', options.contactPoints];
  if (options.group) args.push('--group', options.group);
  if (options.keyspace) args.push('--keyspace', options.keyspace);
  if (options.table) args.push('--table', options.table);
  const dir = options.expected ? mkdtempSync(join(tmpdir(), 'accounting-')) : undefined;
  if (dir) {
    writeFileSync(join(dir, 'expected'), `${/** @type {string[]} */ (options.expected).join('\n')}\n`);
    args.push('--expected', join(dir, 'expected'));
  }
  const { stdout } = await promisify(execFile)(PYTHON, args, { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 })
    .catch((error) => ({ stdout: error.stdout || JSON.stringify({ error: error.message }) }))
    .finally(() => dir && rmSync(dir, { recursive: true, force: true }));
  const result = JSON.parse(stdout);
  if (result.error) throw new Error(`accounting (${scenario}) failed: ${result.error}`);
  const againstExpected =
    result.expectedIds === undefined
      ? ''
      : `, expected ${result.expectedIds} (missing on the topic ${result.missingOnTopic}, unexpected ${result.extraOnTopic})`;
  (options.log ?? console.log)(
    `[${scenario}] topic records ${result.topicRecords}, topic ids ${result.topicIds} ` +
      `(duplicates on the topic ${result.topicRecords - result.topicIds})${againstExpected}, rows ${result.rows}, ` +
      `missing ${result.missing}, extra ${result.extra}, committed lag ${result.committedLag ?? 'n/a'}, dlq ${result.dlq}`,
  );
  return result;
}
