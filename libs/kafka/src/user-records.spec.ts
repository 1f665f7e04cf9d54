import { ConfigError } from '@userstream/core';
import { DecodeError, UserCodec, userSchemaV2Json, type UserRecordV2 } from '@userstream/user-schema';
import type { KafkaMessage } from 'kafkajs';
import { userRecordDecoder, userRecordSerializer, userSchemaHeader } from './user-records';

const record: UserRecordV2 = {
  id: '0b6e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
  first_name: 'Ada',
  last_name: 'Lovelace',
  gender: 'female',
  address: '12 Analytical Row, London, England, United Kingdom',
  postcode: 'N1 9GU',
  email: 'ada@example.com',
  username: 'ada',
  dob: '1815-12-10T00:00:00.000Z',
  registered_date: '2015-06-01T10:00:00.000Z',
  phone: '020 7946 0000',
  picture: 'https://randomuser.me/api/portraits/women/1.jpg',
  title: 'Ms',
  nationality: 'GB',
  cell: '07700 900000',
  city: 'London',
  state: 'England',
  country: 'United Kingdom',
  latitude: 51.5,
  longitude: -0.12,
  timezone_offset: '+0:00',
  timezone_description: 'Western Europe Time, London, Lisbon, Casablanca',
  age: 36,
  picture_medium: 'https://randomuser.me/api/portraits/med/women/1.jpg',
  picture_thumbnail: 'https://randomuser.me/api/portraits/thumb/women/1.jpg',
  ingested_at: 1_760_000_000_000,
};

function asMessage(value: Buffer | null): KafkaMessage {
  return { key: null, value, timestamp: '0', attributes: 0, offset: '0', headers: {} } as KafkaMessage;
}

describe('userRecordSerializer', () => {
  it.each([
    ['avro', { encoding: 'avro' as const }, 'application/avro', 'io.userstream.User/v2'],
    ['confluent', { encoding: 'confluent' as const, schemaId: 42 }, 'application/vnd.confluent.avro', 'io.userstream.User/v2;registry-id=42'],
    ['json', { encoding: 'json' as const }, 'application/json', 'io.userstream.User/v1'],
  ])('%s: key is the id, headers name the encoding and schema', (encoding, options, contentType, schema) => {
    const message = userRecordSerializer({ ...options, runId: 'run-1' })(record);
    expect(message.key).toBe(record.id);
    expect(message.headers).toEqual({
      'content-type': contentType,
      'userstream-encoding': encoding,
      'userstream-schema': schema,
      'userstream-run-id': 'run-1',
    });
    const codec = new UserCodec();
    codec.registerSchemaId(42, userSchemaV2Json);
    const decoded = codec.decode(message.value as Buffer);
    expect(decoded.encoding).toBe(encoding);
    expect(decoded.record.id).toBe(record.id);
  });

  it('needs schemaId for confluent and writes v1 headers for schema version 1', () => {
    expect(() => userRecordSerializer({ encoding: 'confluent' })).toThrow(ConfigError);
    expect(userSchemaHeader('avro', 1)).toBe('io.userstream.User/v1');
    expect(userRecordSerializer({ encoding: 'avro', schemaVersion: 1 })(record).headers).not.toHaveProperty('userstream-run-id');
  });
});

describe('userRecordDecoder', () => {
  it('decodes synchronously when the schema is known, asynchronously for a new registry id', async () => {
    const resolveSchemaId = jest.fn(async () => userSchemaV2Json);
    const decode = userRecordDecoder(new UserCodec({ resolveSchemaId }));
    const avro = decode(asMessage(new UserCodec().encode(record, { encoding: 'avro' })));
    expect(avro).not.toBeInstanceOf(Promise);
    expect((avro as { record: UserRecordV2 }).record).toEqual(record);
    const first = decode(asMessage(new UserCodec().encode(record, { encoding: 'confluent', schemaId: 7 })));
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toMatchObject({ encoding: 'confluent', schemaId: 7, record });
    const again = decode(asMessage(new UserCodec().encode(record, { encoding: 'confluent', schemaId: 7 })));
    expect(again).not.toBeInstanceOf(Promise);
    expect(resolveSchemaId).toHaveBeenCalledTimes(1);
  });

  it('throws a non-retriable DecodeError for poison values and tombstones', () => {
    const decode = userRecordDecoder(new UserCodec());
    for (const value of [Buffer.from('garbage'), null, Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9])]) {
      let error: unknown;
      try {
        decode(asMessage(value));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect(error).toMatchObject({ code: 'RECORD_UNDECODABLE', retriable: false });
    }
  });
});
