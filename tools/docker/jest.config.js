module.exports = {
  displayName: '@userstream/docker-tools',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // Each app is installed from its context (npm ci) and started: slower than a unit test.
  testTimeout: 240_000,
};
