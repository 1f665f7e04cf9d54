module.exports = {
  displayName: '@userstream/bench',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // The smoke test runs every benchmark in reduced form against the real stack: minutes, not seconds.
  testTimeout: 900_000,
};
