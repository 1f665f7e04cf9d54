import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import createSnappyCodec from 'kafkajs-snappy';
import { ConfigError } from '@userstream/core';

/**
 * Compression codecs the producer can use. `gzip` is built into kafkajs;
 * `snappy` comes from `kafkajs-snappy` (pure JS). LZ4 and ZSTD are not
 * offered: their kafkajs codecs are unmaintained or need native builds.
 */
export type CompressionName = 'none' | 'gzip' | 'snappy';

const TYPES: Record<CompressionName, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
};

/**
 * Makes kafkajs able to write and read Snappy-compressed batches. kafkajs
 * keeps codecs in one process-wide table whose Snappy slot throws "not
 * implemented" until a codec is put there; calling this again is harmless.
 */
export function registerSnappyCodec(): void {
  (CompressionCodecs as Record<number, unknown>)[CompressionTypes.Snappy] = createSnappyCodec;
}

/** The kafkajs compression type for a name, registering its codec when needed. Throws ConfigError for unknown names. */
export function compressionType(name: CompressionName): CompressionTypes {
  if (!(name in TYPES)) throw new ConfigError(`compression must be one of ${Object.keys(TYPES).join(', ')} (got ${JSON.stringify(name)})`);
  if (name === 'snappy') registerSnappyCodec();
  return TYPES[name];
}
