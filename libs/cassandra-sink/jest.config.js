module.exports = {
  displayName: '@userstream/cassandra-sink',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
