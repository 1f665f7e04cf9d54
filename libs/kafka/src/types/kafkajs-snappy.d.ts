// kafkajs-snappy ships no type declarations. It exports a codec factory in
// the shape kafkajs's CompressionCodecs table expects.
declare module 'kafkajs-snappy' {
  const createSnappyCodec: () => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>;
    decompress(buffer: Buffer): Promise<Buffer>;
  };
  export = createSnappyCodec;
}
