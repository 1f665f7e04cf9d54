module.exports = {
  displayName: '@userstream/schema-registry',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
