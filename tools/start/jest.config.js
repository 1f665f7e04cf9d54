module.exports = {
  displayName: '@userstream/start-tools',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // `npm start` builds, starts three apps and streams: tens of seconds, not milliseconds.
  testTimeout: 300_000,
};
