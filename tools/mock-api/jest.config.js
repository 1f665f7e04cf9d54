module.exports = {
  displayName: '@userstream/mock-api',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
