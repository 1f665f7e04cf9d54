import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Schema } from 'avsc';
import { crc64Avro, parsingCanonicalForm } from './fingerprint.util';
import { SCHEMA_VERSIONS } from './record.schemas';

// The .avsc files the package ships for other tools (Python's avro, the Java
// Avro tools, kcat pipelines) must be the TypeScript definitions, byte for byte
// in a fixed layout. After a schema change, rewrite them (from libs/user-schema,
// after a build) with:
//   node -e "const s=require('./dist');for(const v of s.SCHEMA_VERSIONS)require('fs').writeFileSync('schemas/user.v'+v.version+'.avsc',JSON.stringify(v.json,null,2)+'\n')"
const SCHEMAS_DIR = join(__dirname, '..', 'schemas');
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[] };

describe.each(SCHEMA_VERSIONS.map((s) => [s.version, s] as const))('schemas/user.v%i.avsc', (version, info) => {
  const file = join(SCHEMAS_DIR, `user.v${version}.avsc`);
  const text = readFileSync(file, 'utf8');

  it('is the TypeScript definition, byte for byte (2-space JSON, trailing newline)', () => {
    expect(JSON.parse(text)).toEqual(info.json);
    expect(text).toBe(`${JSON.stringify(info.json, null, 2)}\n`);
  });

  it('parses as Avro to the same canonical form and fingerprint as the bundled type', () => {
    const type = Type.forSchema(JSON.parse(text) as Schema);
    expect(parsingCanonicalForm(type)).toBe(info.canonicalForm);
    expect(crc64Avro(parsingCanonicalForm(type))).toBe(info.fingerprint);
  });

  it('is an exported path of the package and part of what it publishes', () => {
    const subpath = `./schemas/user.v${version}.avsc`;
    expect(pkg.exports[subpath]).toBe(subpath);
    expect(pkg.files).toContain('schemas');
    expect(readFileSync(require.resolve(`@userstream/user-schema/schemas/user.v${version}.avsc`), 'utf8')).toBe(text);
  });
});

it('ships one .avsc file per bundled schema version and no other', () => {
  const listed = Object.keys(pkg.exports).filter((k) => k.endsWith('.avsc'));
  expect(listed).toEqual(SCHEMA_VERSIONS.map((s) => `./schemas/user.v${s.version}.avsc`));
});
