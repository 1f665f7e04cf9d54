module.exports = {
  displayName: '@userstream/stream-processor',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // End-to-end scenarios stop and start shared servers (Cassandra): one at a time.
  maxWorkers: 1,
};
