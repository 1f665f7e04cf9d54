module.exports = {
  displayName: '@userstream/kafka',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
