#!/usr/bin/env python3
"""Exact accounting of a pipeline run, read back with clients that are not userstream's own:
kcat for the records on the topic, kafka-python for committed offsets and the dead-letter
topic, and the DataStax Python driver for the rows in Cassandra.

  accounting.py --brokers 127.0.0.1:9092 --topic t --group g \
                --cassandra 127.0.0.1:9042 --keyspace ks [--table users] [--expected ids.txt]

Prints one JSON object: records and distinct ids on the topic, rows in the table, ids
missing from the table, rows whose id is not on the topic, committed lag of the group and
records on the dead-letter topic; with --expected (one id a line, e.g. what the mock API
served), also the expected ids missing from the topic and the ids on the topic that were
not expected. Exits 2 when a server cannot be read.
"""
import argparse
import json
import subprocess
import sys


def topic_keys(brokers, topic):
    # kcat (librdkafka) reads every partition from the start to the current end and exits.
    out = subprocess.run(
        ['kcat', '-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\n'],
        capture_output=True, text=True, timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f'kcat failed reading {topic}: {out.stderr.strip()}')
    return [line for line in out.stdout.split('\n') if line]


def committed_offsets(admin, group):
    import time
    from kafka.errors import KafkaError
    # The group coordinator may still be loading (right after a broker restart, or before the
    # offsets topic exists): retriable, so try for a while.
    deadline = time.time() + 60
    while True:
        try:
            return admin.list_consumer_group_offsets(group)
        except KafkaError as error:
            if not getattr(error, 'retriable', False) or time.time() > deadline:
                raise
            time.sleep(0.5)


def kafka_offsets(brokers, topic, group):
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=brokers.split(','), enable_auto_commit=False)
    admin = KafkaAdminClient(bootstrap_servers=brokers.split(','))
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends = consumer.end_offsets(tps)
        committed = committed_offsets(admin, group) if group else {}
        lag = 0 if group else None
        uncommitted = []
        for tp in tps:
            if not group:
                break
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += max(0, ends[tp] - position)
            if position < ends[tp]:
                uncommitted.append({'partition': tp.partition, 'committed': position, 'end': ends[tp]})
        dlq_topic = f'{topic}.dlq'
        dlq = 0
        dlq_partitions = consumer.partitions_for_topic(dlq_topic) or set()
        if dlq_partitions:
            dtps = [TopicPartition(dlq_topic, p) for p in dlq_partitions]
            dends = consumer.end_offsets(dtps)
            dstarts = consumer.beginning_offsets(dtps)
            dlq = sum(dends[tp] - dstarts[tp] for tp in dtps)
        return lag, uncommitted, dlq
    finally:
        consumer.close()
        admin.close()


def table_ids(contact, keyspace, table):
    from cassandra import ConsistencyLevel
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy
    from cassandra.query import SimpleStatement

    hosts = [c.rsplit(':', 1) for c in contact.split(',')]
    # LOCAL_QUORUM: on a cluster, rows acknowledged at LOCAL_QUORUM are seen even with a node down.
    profile = ExecutionProfile(
        load_balancing_policy=DCAwareRoundRobinPolicy(local_dc='datacenter1'),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM, request_timeout=60,
    )
    cluster = Cluster([h for h, _ in hosts], port=int(hosts[0][1]), execution_profiles={EXEC_PROFILE_DEFAULT: profile}, protocol_version=5)
    try:
        session = cluster.connect()
        statement = SimpleStatement(f'SELECT id FROM "{keyspace}"."{table}"', fetch_size=5000)
        return [str(row.id) for row in session.execute(statement)]
    finally:
        cluster.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--brokers', required=True)
    parser.add_argument('--topic', required=True)
    parser.add_argument('--group', default='')
    parser.add_argument('--cassandra', required=True)
    parser.add_argument('--keyspace', default='', help='unset: do not read a table')
    parser.add_argument('--table', default='users')
    parser.add_argument('--expected', default='', help='a file of the ids that should be on the topic, one a line')
    args = parser.parse_args()
    try:
        keys = topic_keys(args.brokers, args.topic)
        lag, uncommitted, dlq = kafka_offsets(args.brokers, args.topic, args.group)
        rows = table_ids(args.cassandra, args.keyspace, args.table) if args.keyspace else []
    except Exception as error:  # the caller shows it; a half accounting is worth nothing
        print(json.dumps({'error': f'{type(error).__name__}: {error}'}))
        return 2
    ids = set(keys)
    row_set = set(rows)
    against_expected = {}
    if args.expected:
        with open(args.expected, encoding='utf-8') as handle:
            expected = set(line.strip() for line in handle if line.strip())
        against_expected = {
            'expectedIds': len(expected),
            'missingOnTopic': len(expected - ids),
            'extraOnTopic': len(ids - expected),
        }
    print(json.dumps({
        'topicRecords': len(keys),
        'topicIds': len(ids),
        'rows': len(rows),
        'distinctRows': len(row_set),
        'missing': len(ids - row_set),
        'extra': len(row_set - ids),
        'committedLag': lag,
        'uncommitted': uncommitted,
        'dlq': dlq,
        **against_expected,
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
