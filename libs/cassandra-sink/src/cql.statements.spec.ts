import { ConfigError } from '@userstream/core';
import { addColumnCql, countCql, createKeyspaceCql, createTableCql, insertCql, normalizeIdentifier, REFERENCE_COLUMNS, USERS_COLUMNS } from './cql.statements';

const V1_TEXT =
  'first_name text, last_name text, gender text, address text, postcode text, email text, username text, dob text, registered_date text, phone text, picture text';
const V1_NAMES = 'id, first_name, last_name, gender, address, postcode, email, username, dob, registered_date, phone, picture';

describe('CQL statements', () => {
  it('creates a SimpleStrategy keyspace with RF 1 like the reference', () => {
    expect(createKeyspaceCql('spark_streams', { class: 'SimpleStrategy', replicationFactor: 1 })).toBe(
      `CREATE KEYSPACE IF NOT EXISTS "spark_streams" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
  });

  it('creates a NetworkTopologyStrategy keyspace, escaping data center names', () => {
    expect(createKeyspaceCql('ks', { class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3, "o'dc": 2 } })).toBe(
      `CREATE KEYSPACE IF NOT EXISTS "ks" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'o''dc': 2}`,
    );
  });

  it('creates the reference table: id uuid PRIMARY KEY and eleven text columns', () => {
    expect(createTableCql('spark_streams', 'users_created', 'reference')).toBe(
      `CREATE TABLE IF NOT EXISTS "spark_streams"."users_created" (id uuid PRIMARY KEY, ${V1_TEXT})`,
    );
    expect(REFERENCE_COLUMNS).toHaveLength(12);
  });

  it('creates the users table with the v2 columns and their types', () => {
    expect(createTableCql('ks', 'users', 'users')).toBe(
      `CREATE TABLE IF NOT EXISTS "ks"."users" (id uuid PRIMARY KEY, ${V1_TEXT}, title text, nationality text, cell text, city text, state text, country text, ` +
        'latitude double, longitude double, timezone_offset text, timezone_description text, age int, picture_medium text, picture_thumbnail text, ingested_at timestamp)',
    );
    expect(USERS_COLUMNS).toHaveLength(26);
  });

  it('builds the prepared upserts, with optional USING TIMESTAMP and TTL', () => {
    const marks12 = Array(12).fill('?').join(', ');
    expect(insertCql('ks', 'users_created', 'reference')).toBe(`INSERT INTO "ks"."users_created" (${V1_NAMES}) VALUES (${marks12})`);
    expect(insertCql('ks', 'users_created', 'reference', { timestamp: true })).toBe(
      `INSERT INTO "ks"."users_created" (${V1_NAMES}) VALUES (${marks12}) USING TIMESTAMP ?`,
    );
    expect(insertCql('ks', 'users_created', 'reference', { ttlSeconds: 3600 })).toBe(
      `INSERT INTO "ks"."users_created" (${V1_NAMES}) VALUES (${marks12}) USING TTL 3600`,
    );
    expect(insertCql('ks', 'users_created', 'reference', { timestamp: true, ttlSeconds: 60 })).toBe(
      `INSERT INTO "ks"."users_created" (${V1_NAMES}) VALUES (${marks12}) USING TIMESTAMP ? AND TTL 60`,
    );
    expect(insertCql('ks', 'users_created', 'reference', { ttlSeconds: 0 })).not.toContain('USING');
    const users = insertCql('ks', 'users', 'users');
    expect(users).toBe(
      `INSERT INTO "ks"."users" (${V1_NAMES}, title, nationality, cell, city, state, country, latitude, longitude, timezone_offset, ` +
        `timezone_description, age, picture_medium, picture_thumbnail, ingested_at) VALUES (${Array(26).fill('?').join(', ')})`,
    );
  });

  it('counts and alters with qualified names', () => {
    expect(countCql('ks', 'users')).toBe('SELECT COUNT(*) FROM "ks"."users"');
    expect(addColumnCql('ks', 'users', { name: 'age', type: 'int' })).toBe('ALTER TABLE "ks"."users" ADD age int');
  });

  it('lower-cases identifiers like CQL does and rejects anything that could inject CQL', () => {
    expect(normalizeIdentifier('Spark_Streams', 'keyspace')).toBe('spark_streams');
    for (const bad of ['', '1abc', 'a-b', 'ks"; DROP KEYSPACE x; --', 'a'.repeat(49), 42]) {
      expect(() => normalizeIdentifier(bad, 'keyspace')).toThrow(ConfigError);
    }
  });
});
