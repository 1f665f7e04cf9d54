"""Exact accounting of one pipeline run, read back with clients that are not ours.

Kafka through librdkafka (python3-confluent-kafka), Cassandra through the
DataStax Python driver (python3-cassandra). Prints one JSON object:

  topicRecords, topicIds (distinct keys = user ids), duplicates,
  expectedIds, missingOnTopic, extraOnTopic (against --expected, if given),
  rows, missing (ids on the topic without a row), extra (rows not on the topic),
  committedLag (end offset minus the group's committed offset, summed; a
  partition without a commit counts whole), dlq (records on <topic>.dlq)

Usage: accounting.py --brokers h:p,... --topic T --group G
                     --contact-points h,... --cql-port P --keyspace K
                     [--expected FILE (one id a line)]
"""

import argparse
import json
import sys
import uuid

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import DCAwareRoundRobinPolicy, RetryPolicy
from cassandra.query import SimpleStatement
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

TIMEOUT_S = 30


def partitions_of(admin, topic):
    metadata = admin.list_topics(topic=topic, timeout=TIMEOUT_S)
    info = metadata.topics.get(topic)
    if info is None or info.error is not None:
        return []
    return sorted(info.partitions.keys())


def read_keys(brokers, topic, partitions):
    """Every key on the topic, from the first offset to the end offsets of now."""
    consumer = Consumer({
        'bootstrap.servers': brokers,
        'group.id': 'accounting-' + uuid.uuid4().hex,
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
    })
    try:
        remaining = {}
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=TIMEOUT_S)
            if high > low:
                remaining[partition] = high
        keys = []
        if not remaining:
            return keys
        consumer.assign([TopicPartition(topic, p, 0) for p in remaining])
        while remaining:
            message = consumer.poll(TIMEOUT_S)
            if message is None:
                raise RuntimeError('no message for %d s while reading %s; still to read: %s' % (TIMEOUT_S, topic, remaining))
            if message.error():
                if message.error().code() == -191:  # _PARTITION_EOF
                    continue
                raise KafkaException(message.error())
            partition = message.partition()
            if partition not in remaining or message.offset() >= remaining[partition]:
                continue
            keys.append(message.key().decode('utf-8'))
            if message.offset() + 1 >= remaining[partition]:
                del remaining[partition]
        return keys
    finally:
        consumer.close()


def committed_lag(brokers, topic, group, partitions):
    consumer = Consumer({'bootstrap.servers': brokers, 'group.id': group, 'enable.auto.commit': False})
    try:
        committed = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=TIMEOUT_S)
        lag = 0
        for tp in committed:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=TIMEOUT_S)
            position = tp.offset if tp.offset >= 0 else low
            lag += max(0, high - position)
        return lag
    finally:
        consumer.close()


def topic_size(brokers, admin, topic):
    partitions = partitions_of(admin, topic)
    if not partitions:
        return 0
    consumer = Consumer({'bootstrap.servers': brokers, 'group.id': 'accounting-' + uuid.uuid4().hex})
    try:
        size = 0
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=TIMEOUT_S)
            size += high - low
        return size
    finally:
        consumer.close()


def read_rows(contact_points, port, keyspace):
    profile = ExecutionProfile(
        load_balancing_policy=DCAwareRoundRobinPolicy(local_dc='datacenter1'),
        retry_policy=RetryPolicy(),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        request_timeout=30,
    )
    cluster = Cluster(contact_points, port=port, execution_profiles={EXEC_PROFILE_DEFAULT: profile}, protocol_version=5)
    try:
        session = cluster.connect()
        statement = SimpleStatement('SELECT id FROM %s.users' % keyspace, fetch_size=5000)
        return [str(row.id) for row in session.execute(statement)]
    finally:
        cluster.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--brokers', required=True)
    parser.add_argument('--topic', required=True)
    parser.add_argument('--group', required=True)
    parser.add_argument('--contact-points', required=True)
    parser.add_argument('--cql-port', type=int, default=9042)
    parser.add_argument('--keyspace', required=True)
    parser.add_argument('--expected')
    args = parser.parse_args()

    admin = AdminClient({'bootstrap.servers': args.brokers})
    partitions = partitions_of(admin, args.topic)
    keys = read_keys(args.brokers, args.topic, partitions)
    topic_ids = set(keys)
    rows = read_rows(args.contact_points.split(','), args.cql_port, args.keyspace)
    row_ids = set(rows)
    result = {
        'topicRecords': len(keys),
        'topicIds': len(topic_ids),
        'duplicates': len(keys) - len(topic_ids),
        'rows': len(rows),
        'missing': len(topic_ids - row_ids),
        'extra': len(row_ids - topic_ids),
        'committedLag': committed_lag(args.brokers, args.topic, args.group, partitions),
        'dlq': topic_size(args.brokers, admin, args.topic + '.dlq'),
    }
    if args.expected:
        with open(args.expected, encoding='utf-8') as handle:
            expected = set(line.strip() for line in handle if line.strip())
        result.update({
            'expectedIds': len(expected),
            'missingOnTopic': len(expected - topic_ids),
            'extraOnTopic': len(topic_ids - expected),
        })
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
