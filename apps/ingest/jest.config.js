module.exports = {
  displayName: '@userstream/ingest',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
