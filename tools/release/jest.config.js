module.exports = {
  displayName: '@userstream/release-tools',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // These tests copy the workspace, run nx release, pack and install the libraries: minutes, not milliseconds.
  testTimeout: 300_000,
};
