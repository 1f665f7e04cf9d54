#!/usr/bin/env python3
"""Confluent's own Python client against the Schema Registry stand-in and the real Kafka.

Needs Debian's python3-confluent-kafka, python3-requests, python3-avro and
fastavro (which python3-confluent-kafka's AvroSerializer uses; not packaged
by Debian: `pip install fastavro`). Run with /usr/bin/python3.

  produce  REGISTRY BROKERS TOPIC SCHEMA_FILE RECORDS_FILE
      serializes each record of RECORDS_FILE (a JSON array) with AvroSerializer
      (auto-registering SCHEMA_FILE under TOPIC-value) and produces it, key =
      its id; prints {"schema_id": ..., "produced": N}.
  consume  REGISTRY BROKERS TOPIC COUNT
      reads COUNT records from the beginning of TOPIC (its own group, no
      commits) and deserializes them with AvroDeserializer; prints a JSON array
      of {"partition", "offset", "key", "schema_id", "value"}.
  client   REGISTRY SCHEMA_FILE
      exercises SchemaRegistryClient's REST calls and prints what each
      returned or the SchemaRegistryError's http_status_code and error_code.
"""
import json
import struct
import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext


def produce(registry_url, brokers, topic, schema_file, records_file):
    registry = SchemaRegistryClient({"url": registry_url})
    serializer = AvroSerializer(registry, open(schema_file).read())
    producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
    records = json.load(open(records_file))
    value = None
    for record in records:
        value = serializer(record, SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=record["id"].encode(), value=value)
    left = producer.flush(30)
    if left:
        raise SystemExit(f"{left} records not delivered")
    print(json.dumps({"schema_id": struct.unpack(">bI", value[:5])[1], "produced": len(records)}))


def consume(registry_url, brokers, topic, count):
    registry = SchemaRegistryClient({"url": registry_url})
    deserializer = AvroDeserializer(registry)
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"confluent-interop-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    out = []
    idle = 0
    try:
        while len(out) < count and idle < 60:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                continue
            if msg.error():
                raise SystemExit(f"consume error: {msg.error()}")
            idle = 0
            value = deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE))
            out.append({
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": msg.key().decode(),
                "schema_id": struct.unpack(">bI", msg.value()[:5])[1],
                "value": value,
            })
    finally:
        consumer.close()
    print(json.dumps(out))


def attempt(call):
    try:
        result = call()
        if hasattr(result, "schema_id"):
            return {"ok": {"id": result.schema_id, "subject": result.subject, "version": result.version, "schema": result.schema.schema_str}}
        if isinstance(result, Schema):
            return {"ok": {"schema": result.schema_str, "type": result.schema_type}}
        return {"ok": result}
    except SchemaRegistryError as error:
        return {"error": {"http_status_code": error.http_status_code, "error_code": error.error_code, "message": error.error_message}}


def client(registry_url, schema_file):
    registry = SchemaRegistryClient({"url": registry_url})
    v2 = Schema(open(schema_file).read(), "AVRO")
    v1_text = json.loads(open(schema_file).read())
    v1_text["fields"] = v1_text["fields"][:12]
    v1 = Schema(json.dumps(v1_text), "AVRO")
    breaking_text = json.loads(json.dumps(v1_text))
    breaking_text["fields"].append({"name": "shoe_size", "type": "int"})
    breaking = Schema(json.dumps(breaking_text), "AVRO")
    subject = "interop-value"
    steps = [
        ("subjects_empty", lambda: registry.get_subjects()),
        ("lookup_unknown_subject", lambda: registry.lookup_schema(subject, v1)),
        ("schema_unknown_id", lambda: registry.get_schema(999)),
        ("register_v1", lambda: registry.register_schema(subject, v1)),
        ("register_v1_again", lambda: registry.register_schema(subject, Schema(json.dumps(v1_text, indent=4), "AVRO"))),
        ("lookup_v2_not_registered", lambda: registry.lookup_schema(subject, v2)),
        ("compatible_v2", lambda: registry.test_compatibility(subject, v2)),
        ("compatible_breaking", lambda: registry.test_compatibility(subject, breaking)),
        ("register_v2", lambda: registry.register_schema(subject, v2)),
        ("register_breaking", lambda: registry.register_schema(subject, breaking)),
        ("register_invalid", lambda: registry.register_schema(subject, Schema('{"type": "record", "name": "X"}', "AVRO"))),
        ("versions", lambda: registry.get_versions(subject)),
        ("latest", lambda: registry.get_latest_version(subject)),
        ("version_1", lambda: registry.get_version(subject, 1)),
        ("version_missing", lambda: registry.get_version(subject, 7)),
        ("lookup_v1", lambda: registry.lookup_schema(subject, v1)),
        ("schema_by_id_1", lambda: registry.get_schema(1)),
        ("subjects", lambda: registry.get_subjects()),
        ("global_compatibility", lambda: registry.get_compatibility()),
        ("set_subject_compatibility", lambda: registry.set_compatibility(subject, "none")),
        ("subject_compatibility", lambda: registry.get_compatibility(subject)),
        ("set_bad_compatibility", lambda: registry.set_compatibility(subject, "sometimes")),
        ("register_breaking_with_none", lambda: registry.register_schema(subject, breaking)),
        ("delete_version_3", lambda: registry.delete_version(subject, 3)),
        ("delete_subject", lambda: registry.delete_subject(subject, permanent=True)),
        ("subjects_after_delete", lambda: registry.get_subjects()),
        ("versions_after_delete", lambda: registry.get_versions(subject)),
    ]
    print(json.dumps({name: attempt(call) for name, call in steps}))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "produce":
        produce(*args)
    elif mode == "consume":
        consume(args[0], args[1], args[2], int(args[3]))
    elif mode == "client":
        client(*args)
    else:
        raise SystemExit(f"unknown mode {mode}")
