module.exports = {
  displayName: '@userstream/cassandra-sink',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // Known defect, to be found and removed: once in four CI runs on Node 24, after
  // test/cassandra-down.spec.ts killed Cassandra mid-batch, Jest found a timer still
  // armed when every suite had passed (no socket or child process was left) and
  // waited for it for good. --detectOpenHandles did not reproduce it. Until the
  // timer is found, a finished run must not hang CI.
  forceExit: true,
};
