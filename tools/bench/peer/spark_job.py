"""The peer the stream-processor replaces: a Spark Structured Streaming job
doing the reference pipeline's work (its spark_stream.py, minus the table
creation, which the benchmark does beforehand).

Reads the topic from the earliest offset, parses each value with from_json
and a schema of the twelve string fields, and writes every micro-batch to
Cassandra through the spark-cassandra-connector, with a checkpoint folder.
Spark runs in local[2]: the two cores of the benchmark machine.

    python spark_job.py --brokers 127.0.0.1:9092 --topic T --cassandra 127.0.0.1:9042 \
        --keyspace K --table users_created --checkpoint DIR --jars a.jar,b.jar

Started and stopped by tools/bench/peer.mjs; it runs until it is killed.
"""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql.functions import col, from_json
from pyspark.sql.types import StringType, StructField, StructType

FIELDS = [
    "id",
    "first_name",
    "last_name",
    "gender",
    "address",
    "postcode",
    "email",
    "username",
    "dob",
    "registered_date",
    "phone",
    "picture",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--cassandra", required=True, help="host:port")
    parser.add_argument("--keyspace", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--jars", required=True, help="comma-separated jar paths")
    args = parser.parse_args()
    host, port = args.cassandra.rsplit(":", 1)

    spark = (
        SparkSession.builder.appName("userstream-peer")
        .master("local[2]")
        .config("spark.jars", args.jars)
        .config("spark.cassandra.connection.host", host)
        .config("spark.cassandra.connection.port", port)
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")

    schema = StructType([StructField(name, StringType(), False) for name in FIELDS])
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.brokers)
        .option("subscribe", args.topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    rows = source.selectExpr("CAST(value AS STRING)").select(from_json(col("value"), schema).alias("data")).select("data.*")
    query = (
        rows.writeStream.format("org.apache.spark.sql.cassandra")
        .option("checkpointLocation", args.checkpoint)
        .option("keyspace", args.keyspace)
        .option("table", args.table)
        .start()
    )
    print("peer: streaming query started", flush=True)
    query.awaitTermination()


if __name__ == "__main__":
    main()
