module.exports = {
  displayName: '@userstream/user-schema',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
