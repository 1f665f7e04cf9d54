module.exports = {
  displayName: '@userstream/randomuser-client',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
