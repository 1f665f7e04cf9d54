module.exports = {
  displayName: '@userstream/stream-processor',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
