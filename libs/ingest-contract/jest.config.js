module.exports = {
  displayName: '@userstream/ingest-contract',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
