module.exports = {
  displayName: '@userstream/observability',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
