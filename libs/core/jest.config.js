module.exports = {
  displayName: '@userstream/core',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
