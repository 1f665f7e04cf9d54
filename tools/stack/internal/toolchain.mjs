// Finds the JDK 17 and Maven the stack needs, and resolves each server's
// jars from Maven Central into its own lib folder.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, DEFAULT_JAVA_HOME, REPO_ROOT } from './config.mjs';

const REQUIRED_JAVA = 17;
const RESOLVED_MARKER = '.resolved';

/**
 * Picks the JDK: $JAVA_HOME when it is a 17, else the Debian JDK 17.
 * Cassandra 5.0 needs 17 (JDK 24+ refuses its SecurityManager), so another
 * version is never used, and a missing one stops us before anything starts.
 */
export function findJava17(config) {
  const candidates = [...new Set([config.javaHome, DEFAULT_JAVA_HOME].filter(Boolean))];
  const seen = [];
  for (const home of candidates) {
    const bin = path.join(home, 'bin', 'java');
    const major = javaMajorVersion(bin);
    if (major === REQUIRED_JAVA) return { home, bin };
    seen.push(major === null ? `${bin} (not found)` : `${bin} (Java ${major})`);
  }
  throw new ConfigError(
    `The dev stack needs a Java ${REQUIRED_JAVA} JDK, and none was found. Tried: ${seen.join(', ')}. ` +
      `Install one with "apt-get install -y openjdk-17-jdk-headless" or point JAVA_HOME at a JDK 17.`,
  );
}

// Asking a JVM its version takes a moment; the answer does not change.
const majorVersions = new Map();

/** The major version `java -version` reports, or null when it does not run. */
function javaMajorVersion(bin) {
  if (!majorVersions.has(bin)) majorVersions.set(bin, askJavaVersion(bin));
  return majorVersions.get(bin);
}

function askJavaVersion(bin) {
  if (!fs.existsSync(bin)) return null;
  const result = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const match = /version "(\d+)(?:[.\-+"])/.exec(result.stderr ?? '');
  return match ? Number(match[1]) : null;
}

export function assertMavenInstalled() {
  if (!findOnPath('mvn')) {
    throw new ConfigError(
      'Maven (mvn) is not on the PATH; the dev stack needs it to fetch the Kafka and Cassandra jars. ' + 'Install it with "apt-get install -y maven".',
    );
  }
}

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** True when the lib folder holds the jars of the current pom. */
export function jarsAreResolved(server, libDir = server.libDir) {
  try {
    return fs.readFileSync(path.join(libDir, RESOLVED_MARKER), 'utf8') === pomHash(server.pom);
  } catch {
    return false;
  }
}

/**
 * The same jars already resolved by the repo's default stack (.stack/), for
 * a throw-away stack in another folder: copying them takes a second, Maven
 * takes many. Null when there are none for this pom.
 */
function resolvedElsewhere(server) {
  const candidate = path.join(REPO_ROOT, '.stack', path.basename(path.dirname(server.libDir)), 'lib');
  if (path.resolve(candidate) === path.resolve(server.libDir)) return null;
  return jarsAreResolved(server, candidate) ? candidate : null;
}

// Two Mavens writing the same ~/.m2 at once can corrupt it, so resolutions
// run one after the other even when the servers start in parallel.
let mavenQueue = Promise.resolve();

/**
 * Copies the pom's jars into server.libDir, unless a marker says they are
 * there already. Resolves into a temporary folder first so that an
 * interrupted run never leaves a half-filled lib folder behind.
 */
export function resolveJars(server, java, log) {
  const run = mavenQueue.then(async () => {
    if (jarsAreResolved(server)) return;
    const tempDir = `${server.libDir}.partial`;
    fs.rmSync(tempDir, { recursive: true, force: true });
    const copyFrom = resolvedElsewhere(server);
    if (copyFrom) {
      // The marker is copied too, and matched the pom.
      fs.cpSync(copyFrom, tempDir, { recursive: true });
    } else {
      assertMavenInstalled();
      log(`Resolving the ${server.title} jars with Maven (slow only the first time)...`);
      await runMaven(server, java, tempDir);
      fs.writeFileSync(path.join(tempDir, RESOLVED_MARKER), pomHash(server.pom));
    }
    fs.rmSync(server.libDir, { recursive: true, force: true });
    fs.renameSync(tempDir, server.libDir);
  });
  mavenQueue = run.catch(() => {
    /* the caller sees the error; the queue moves on */
  });
  return run;
}

/** @returns {Promise<void>} */
function runMaven(server, java, outputDir) {
  const args = ['-B', '-q', '-Dstyle.color=never', '-f', server.pom, 'dependency:copy-dependencies', `-DoutputDirectory=${outputDir}`];
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, {
      env: { ...process.env, JAVA_HOME: java.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-30).join('\n');
      reject(new Error(`Maven could not resolve the ${server.title} jars (exit code ${code}).\n${tail}`));
    });
  });
}

function pomHash(pomPath) {
  return createHash('sha256').update(fs.readFileSync(pomPath)).digest('hex');
}

/** The version in the name of the server's main jar, e.g. kafka_2.13-4.4.0.jar. */
export function versionFromJars(server) {
  try {
    for (const name of fs.readdirSync(server.libDir)) {
      if (name.startsWith(server.mainJarPrefix) && name.endsWith('.jar')) {
        return name.slice(server.mainJarPrefix.length, -'.jar'.length);
      }
    }
  } catch {
    // lib folder not resolved yet
  }
  return null;
}
