module.exports = {
  displayName: '@userstream/confluent-interop',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
