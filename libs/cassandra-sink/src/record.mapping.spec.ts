import { types } from 'cassandra-driver';
import { bindRecord, isUuid, writeTimestampMicros } from './record.mapping';
import { SinkErrorCode } from './sink.errors';
import type { UserRecordV1, UserRecordV2 } from '@userstream/user-schema';

const v1: UserRecordV1 = {
  id: '5f8a4c1e-2b3d-4e6f-8a9b-0c1d2e3f4a5b',
  first_name: 'Ada',
  last_name: 'Lovelace',
  gender: 'female',
  address: '12 Main Street, Leeds, West Yorkshire, United Kingdom',
  postcode: 'LS1 4AP',
  email: 'ada@example.com',
  username: 'ada',
  dob: '1990-12-10T00:00:00.000Z',
  registered_date: '2015-01-01T12:00:00.000Z',
  phone: '011-555',
  picture: 'https://randomuser.me/api/portraits/women/1.jpg',
};
const v2: UserRecordV2 = {
  ...v1,
  title: 'Ms',
  nationality: 'GB',
  cell: '077-555',
  city: 'Leeds',
  state: 'West Yorkshire',
  country: 'United Kingdom',
  latitude: 53.8,
  longitude: -1.55,
  timezone_offset: '+0:00',
  timezone_description: 'London',
  age: 34,
  picture_medium: 'https://randomuser.me/api/portraits/med/women/1.jpg',
  picture_thumbnail: 'https://randomuser.me/api/portraits/thumb/women/1.jpg',
  ingested_at: 1_700_000_000_123,
};
const V1_VALUES = Object.values(v1);

describe('bindRecord', () => {
  it('binds the twelve v1 fields in column order for the reference table', () => {
    const bound = bindRecord(v2, 0, ['reference'], false);
    expect(bound).toEqual({ ok: true, params: new Map([['reference', V1_VALUES]]) });
  });

  it('binds every users column, ingested_at as a Date', () => {
    const bound = bindRecord(v2, 0, ['users'], false);
    if (!bound.ok) throw bound.error;
    const users = bound.params.get('users') as unknown[];
    expect(users.slice(0, 12)).toEqual(V1_VALUES);
    expect(users.slice(12, 25)).toEqual([
      'Ms',
      'GB',
      '077-555',
      'Leeds',
      'West Yorkshire',
      'United Kingdom',
      53.8,
      -1.55,
      '+0:00',
      'London',
      34,
      v2.picture_medium,
      v2.picture_thumbnail,
    ]);
    expect(users[25]).toEqual(new Date(1_700_000_000_123));
    expect(users).toHaveLength(26);
  });

  it('leaves absent v2 fields unset (undefined) and keeps nulls as nulls', () => {
    const bound = bindRecord({ ...v2, latitude: null, age: null, ingested_at: 0 }, 0, ['users'], false);
    if (!bound.ok) throw bound.error;
    const users = bound.params.get('users') as unknown[];
    expect(users[18]).toBeNull();
    expect(users[22]).toBeNull();
    expect(users[25]).toBeUndefined();
    const fromV1 = bindRecord(v1, 0, ['users'], false);
    if (!fromV1.ok) throw fromV1.error;
    expect((fromV1.params.get('users') as unknown[]).slice(12)).toEqual(new Array(14).fill(undefined));
  });

  it('appends the write timestamp in microseconds when asked', () => {
    const bound = bindRecord(v2, 0, ['reference', 'users'], true);
    if (!bound.ok) throw bound.error;
    const micros = types.Long.fromString('1700000000123000');
    expect((bound.params.get('reference') as unknown[])[12]).toEqual(micros);
    expect((bound.params.get('users') as unknown[])[26]).toEqual(micros);
    const noTime = bindRecord(v1, 0, ['reference'], true);
    if (!noTime.ok) throw noTime.error;
    expect(noTime.params.get('reference')).toHaveLength(13);
    expect((noTime.params.get('reference') as unknown[])[12]).toBeUndefined();
  });

  it('rejects an id that is not a UUID, naming the record', () => {
    const bound = bindRecord({ ...v1, id: 'not-a-uuid' }, 7, ['users'], false);
    expect(bound.ok).toBe(false);
    if (bound.ok) return;
    expect(bound.error).toMatchObject({ code: SinkErrorCode.INVALID_RECORD, retriable: false });
    expect(bound.error.message).toBe('record 7: id must be a UUID (got "not-a-uuid")');
    expect(bound.error.details).toMatchObject({ index: 7, id: 'not-a-uuid' });
  });

  it('rejects values that do not fit their columns, listing each once', () => {
    const bad = { ...v2, age: 34.5, latitude: '53.8', postcode: 12345, ingested_at: -1 } as unknown;
    const bound = bindRecord(bad, 2, ['reference', 'users'], true);
    if (bound.ok) throw new Error('expected a failure');
    expect(bound.error.details['problems']).toEqual([
      'ingested_at must be a non-negative number of milliseconds (got -1)',
      'postcode must be a string or null (got 12345)',
      'latitude must be a finite number or null (got "53.8")',
      'age must be a 32-bit integer or null (got 34.5)',
    ]);
    expect(bindRecord({ ...v2, longitude: Number.NaN }, 0, ['users'], false).ok).toBe(false);
    expect(bindRecord({ ...v2, age: 2 ** 31 }, 0, ['users'], false).ok).toBe(false);
    expect(bindRecord(null, 0, ['users'], false).ok).toBe(false);
  });
});

describe('helpers', () => {
  it('recognises canonical UUIDs only', () => {
    expect(isUuid('5F8A4C1E-2B3D-4E6F-8A9B-0C1D2E3F4A5B')).toBe(true);
    expect(isUuid('5f8a4c1e2b3d4e6f8a9b0c1d2e3f4a5b')).toBe(false);
    expect(isUuid(undefined)).toBe(false);
  });
  it('converts ingested_at milliseconds to microseconds without losing precision', () => {
    expect(writeTimestampMicros({ ingested_at: 1_700_000_000_123 })?.toString()).toBe('1700000000123000');
    expect(writeTimestampMicros({ ingested_at: 0 })).toBeUndefined();
    expect(writeTimestampMicros({})).toBeUndefined();
  });
});
