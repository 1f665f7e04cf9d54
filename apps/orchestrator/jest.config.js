module.exports = {
  displayName: '@userstream/orchestrator',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
