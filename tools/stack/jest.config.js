module.exports = {
  displayName: '@userstream/stack-tools',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // A second, throw-away stack is started and stopped: tens of seconds, not milliseconds.
  testTimeout: 300_000,
};
