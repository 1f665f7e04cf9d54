// Shared Jest settings for every project in the workspace.
//
// Sources are TypeScript compiled by SWC to CommonJS. Some dependencies (got
// and its helpers) ship only ES modules, which Jest's CommonJS runtime cannot
// load, so node_modules is transformed too; SWC caches the result.
const path = require('node:path');
const fs = require('node:fs');

const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;

// Tests import sibling libraries from their sources, so a change in a lib is
// seen by the projects that use it without a build in between.
const libs = fs.readdirSync(path.join(__dirname, 'libs'));
const moduleNameMapper = Object.fromEntries(libs.map((lib) => [`^@userstream/${lib}$`, path.join(__dirname, 'libs', lib, 'src', 'index.ts')]));

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swcrc, swcrc: false }],
  },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  // A deadline for a hung test, not a speed check: tests that start processes or
  // talk to the servers wait for conditions with their own deadlines, and on a
  // busy 2-core machine Jest's 5 s default cut some of them short.
  testTimeout: 30_000,
};
