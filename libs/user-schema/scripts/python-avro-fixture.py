#!/usr/bin/env python3
"""Writes src/__fixtures__/python-avro.json: values encoded by a non-JavaScript
Avro implementation (Debian's python3-avro, `apt-get install -y python3-avro`)
for the codec specs to decode and to match byte for byte.

The schemas come from the built package (run the build first); everything
else here is independent of the TypeScript code: the canonical form is
python-avro's, the CRC-64-AVRO is computed below from the algorithm in the
Avro specification, the bodies are written by python-avro's DatumWriter and
the JSON by Python's json.dumps, as the reference (kafka-python) producer did.

Usage (from libs/user-schema): /usr/bin/python3 scripts/python-avro-fixture.py
"""
import io
import json
import os
import subprocess
import sys

import avro
import avro.io
import avro.schema

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.dirname(HERE)
OUT = os.path.join(LIB, "src", "__fixtures__", "python-avro.json")

EMPTY = 0xC15D213AA4D7A795
TABLE = []
for i in range(256):
    fp = i
    for _ in range(8):
        fp = (fp >> 1) ^ (EMPTY if fp & 1 else 0)
    TABLE.append(fp)


def crc64_avro(data: bytes) -> int:
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ TABLE[(fp ^ b) & 0xFF]
    return fp


def signed(v: int) -> int:
    return v - (1 << 64) if v >= (1 << 63) else v


# Known values from the Avro project's share/test/data/schema-tests.txt (signed longs).
assert signed(crc64_avro(b'"int"')) == 8247732601305521295
assert signed(crc64_avro(b'"string"')) == -8142146995180207161
assert signed(crc64_avro(b'{"name":"foo","type":"record","fields":[]}')) == -4824392279771201922


def schema_json(export: str) -> str:
    code = f"process.stdout.write(JSON.stringify(require('./dist').{export}))"
    return subprocess.run(["node", "-e", code], cwd=LIB, check=True, capture_output=True, text=True).stdout


V1_FIELDS = ["id", "first_name", "last_name", "gender", "address", "postcode", "email",
             "username", "dob", "registered_date", "phone", "picture"]

RECORDS = [
    {
        "id": "3b1ff2c4-5d7e-4c1a-9a0e-6f2b8d9c0e11",
        "first_name": "ایلیا",
        "last_name": "Ковальчук",
        "gender": "male",
        "address": "8929 Rue de L'Abbé-Migne, Saint-Étienne, Ardèche, France",
        "postcode": "75011",
        "email": "ilya.kovalchuk@example.com",
        "username": "smallpeacock😀",
        "dob": "1992-03-08T15:13:16.688Z",
        "registered_date": "2007-07-09T05:51:59.390Z",
        "phone": "(272) 790-0888",
        "picture": "https://randomuser.me/api/portraits/men/75.jpg",
        "title": "Mr",
        "nationality": "IR",
        "cell": "0935-555-1234",
        "city": "Saint-Étienne",
        "state": "Ardèche",
        "country": "France",
        "latitude": -69.8246,
        "longitude": 134.8719,
        "timezone_offset": "+9:30",
        "timezone_description": "Adelaide, Darwin",
        "age": 30,
        "picture_medium": "https://randomuser.me/api/portraits/med/men/75.jpg",
        "picture_thumbnail": "https://randomuser.me/api/portraits/thumb/men/75.jpg",
        "ingested_at": 1732550400123,
    },
    {
        "id": "00000000-0000-4000-8000-000000000000",
        "first_name": "",
        "last_name": "O\"Brien\\\n\t\u007f",
        "gender": "",
        "address": "",
        "postcode": "",
        "email": "",
        "username": "",
        "dob": "",
        "registered_date": "",
        "phone": "",
        "picture": "",
        "title": "",
        "nationality": "",
        "cell": "",
        "city": "",
        "state": "",
        "country": "",
        "latitude": None,
        "longitude": None,
        "timezone_offset": "",
        "timezone_description": "",
        "age": None,
        "picture_medium": "",
        "picture_thumbnail": "",
        "ingested_at": 0,
    },
]

CONFLUENT_IDS = {1: 101, 2: 102}


def encode(schema, datum) -> bytes:
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def main() -> None:
    versions = []
    for version, export in ((1, "userSchemaV1Json"), (2, "userSchemaV2Json")):
        text = schema_json(export)
        schema = avro.schema.parse(text)
        canonical = schema.canonical_form
        fp = crc64_avro(canonical.encode("utf-8"))
        values = []
        for rec in RECORDS:
            datum = {f: rec[f] for f in (V1_FIELDS if version == 1 else rec.keys())}
            body = encode(schema, datum)
            values.append({
                "record": datum,
                "singleObject": (b"\xc3\x01" + fp.to_bytes(8, "little") + body).hex(),
                "confluent": (b"\x00" + CONFLUENT_IDS[version].to_bytes(4, "big") + body).hex(),
            })
        versions.append({
            "version": version,
            "schemaId": CONFLUENT_IDS[version],
            "canonicalForm": canonical,
            "fingerprint": f"{fp:016x}",
            "values": values,
        })
    reference_json = [json.dumps({f: rec[f] for f in V1_FIELDS}).encode("utf-8").hex() for rec in RECORDS]
    out = {
        "generator": f"scripts/python-avro-fixture.py with python3-avro {avro.__version__}, Python {sys.version.split()[0]}",
        "versions": versions,
        "referenceJson": reference_json,
    }
    with open(OUT, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
