// The benchmark records: users from the mock API's generator, mapped to v2
// records and Avro single-object encoded, exactly as ingest would produce
// them. Generated once per (seed, count) into a cache file so every
// benchmark (and every run) moves the same bytes without paying for the
// generation while it measures.
//
// File format: frames of [u16 key length][key][u32 value length][value];
// a sidecar <file>.json says how many records it holds once it is complete.
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import schemaPkg from '@userstream/user-schema';
import { generatePage } from '@userstream/tools/mock-api';
import { REPO_ROOT } from './env.mjs';

const { UserCodec, fromRandomUser } = schemaPkg;

export const DEFAULT_SEED = 'userstream-bench';
const PAGE = 5000;

function cacheDir() {
  return process.env.BENCH_CACHE_DIR ?? join(REPO_ROOT, 'bench-results', '.cache');
}

/**
 * Path of a cache file holding at least `count` records of `seed`, creating
 * it when missing. Larger existing files are reused (readers stop at `count`).
 */
export async function ensureRecordFile(count, { seed = DEFAULT_SEED, log = console.log } = {}) {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  // Reuse any complete file of this seed that is large enough.
  const index = join(dir, `${seed}.index.json`);
  const known = existsSync(index) ? JSON.parse(readFileSync(index, 'utf8')) : {};
  const fit = Object.entries(known)
    .filter(([, n]) => n >= count)
    .sort((a, b) => a[1] - b[1])[0];
  if (fit && existsSync(join(dir, fit[0]))) return join(dir, fit[0]);

  const name = `${seed}-${count}.records`;
  const file = join(dir, name);
  const started = performance.now();
  log(`generating ${count} records (seed ${seed}) into ${file} ...`);
  const codec = new UserCodec();
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  const ingestedAt = Date.now();
  let written = 0;
  let bytes = 0;
  for (let page = 1; written < count; page++) {
    const results = generatePage({ seed, page, results: PAGE }).results;
    const parts = [];
    for (const user of results) {
      if (written >= count) break;
      const record = fromRandomUser(user, { ingestedAt });
      const key = Buffer.from(record.id, 'utf8');
      const value = codec.encode(record, { encoding: 'avro' });
      const head = Buffer.allocUnsafe(2 + key.length + 4);
      head.writeUInt16BE(key.length, 0);
      key.copy(head, 2);
      head.writeUInt32BE(value.length, 2 + key.length);
      parts.push(head, value);
      bytes += head.length + value.length;
      written++;
    }
    if (!out.write(Buffer.concat(parts))) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve(undefined))));
  renameSync(tmp, file);
  known[name] = count;
  writeFileSync(index, `${JSON.stringify(known, null, 2)}\n`);
  log(`generated ${count} records (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/**
 * Reads up to `count` records from a cache file in chunks of `chunkSize`:
 * yields arrays of `{ key: string, value: Buffer }`.
 */
export async function* readRecordChunks(file, { count = Infinity, chunkSize = 5000 } = {}) {
  const handle = await open(file, 'r');
  try {
    const blockSize = 8 * 2 ** 20;
    let buffer = Buffer.alloc(0);
    let position = 0;
    let eof = false;
    let emitted = 0;
    let chunk = [];
    while (emitted < count) {
      // Parse whole frames from the buffer.
      let offset = 0;
      for (;;) {
        if (emitted + chunk.length >= count) break;
        if (buffer.length - offset < 2) break;
        const keyLength = buffer.readUInt16BE(offset);
        if (buffer.length - offset < 2 + keyLength + 4) break;
        const valueLength = buffer.readUInt32BE(offset + 2 + keyLength);
        const end = offset + 2 + keyLength + 4 + valueLength;
        if (end > buffer.length) break;
        const key = buffer.toString('utf8', offset + 2, offset + 2 + keyLength);
        const value = buffer.subarray(offset + 2 + keyLength + 4, end);
        chunk.push({ key, value });
        offset = end;
        if (chunk.length === chunkSize) {
          emitted += chunk.length;
          yield chunk;
          chunk = [];
        }
      }
      if (emitted + chunk.length >= count || eof) break;
      const rest = buffer.subarray(offset);
      const block = Buffer.allocUnsafe(blockSize);
      const { bytesRead } = await handle.read(block, 0, blockSize, position);
      position += bytesRead;
      if (bytesRead === 0) eof = true;
      buffer = Buffer.concat([rest, block.subarray(0, bytesRead)]);
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    await handle.close();
  }
}
