// Nx inference plugin: gives every app (apps/*/package.json tagged type:app)
//   docker-context  build the app, then prepare dist/docker/<app>/ (tools/docker/build-context.mjs)
//   docker-build    docker build that context as userstream/<app>:<version> (tools/docker/docker-build.mjs)
//
// Registered in nx.json:
//   { "plugin": "./tools/nx-plugins/docker.js",
//     "options": { "ports": { "orchestrator": 3000, "ingest": 3001, "stream-processor": 3002 } } }
//
// Options:
//   ports               container port per app folder name (becomes the image's PORT and EXPOSE)
//   imagePrefix         image repository prefix, default "userstream"
//   contextTargetName   default "docker-context"
//   buildTargetName     default "docker-build"
'use strict';

const { readFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');

const PLUGIN_NAME = 'userstream-docker';

function isApp(pkg) {
  const tags = (pkg.nx && pkg.nx.tags) || [];
  return tags.includes('type:app');
}

function targetsFor(projectRoot, options) {
  const app = basename(projectRoot);
  const contextName = options.contextTargetName || 'docker-context';
  const buildName = options.buildTargetName || 'docker-build';
  const port = options.ports && options.ports[app];
  const buildArgs = [`node tools/docker/docker-build.mjs ${projectRoot}`];
  if (port !== undefined) buildArgs.push(`--port ${port}`);
  if (options.imagePrefix) buildArgs.push(`--image-prefix ${options.imagePrefix}`);
  const image = `${options.imagePrefix || 'userstream'}/${app}`;

  return {
    [contextName]: {
      executor: 'nx:run-commands',
      options: { command: `node tools/docker/build-context.mjs ${projectRoot}`, cwd: '{workspaceRoot}' },
      dependsOn: ['build', '^build'],
      inputs: [
        'production',
        '^production',
        '{workspaceRoot}/package-lock.json',
        '{workspaceRoot}/docker/Dockerfile',
        '{workspaceRoot}/docker/.dockerignore',
        '{workspaceRoot}/tools/docker/build-context.mjs',
      ],
      outputs: [`{workspaceRoot}/dist/docker/${app}`],
      cache: true,
      metadata: {
        technologies: ['docker'],
        description: `Prepare the Docker build context dist/docker/${app}: built output, packed workspace libraries, pruned package.json and lockfile, Dockerfile`,
      },
    },
    [buildName]: {
      executor: 'nx:run-commands',
      options: { command: buildArgs.join(' '), cwd: '{workspaceRoot}' },
      dependsOn: [contextName],
      cache: false,
      metadata: {
        technologies: ['docker'],
        description: `docker build dist/docker/${app} as ${image}:<version> and :latest`,
      },
    },
  };
}

function createNodesForFile(configFile, options, context) {
  const pkg = JSON.parse(readFileSync(join(context.workspaceRoot, configFile), 'utf8'));
  if (!isApp(pkg)) return {};
  const projectRoot = dirname(configFile);
  return { projects: { [projectRoot]: { targets: targetsFor(projectRoot, options || {}) } } };
}

/** Nx 23 `createNodes` (the batched signature formerly called createNodesV2). */
const createNodes = [
  'apps/*/package.json',
  async (configFiles, options, context) => {
    const { createNodesFromFiles } = require('@nx/devkit');
    return createNodesFromFiles(createNodesForFile, configFiles, options, context);
  },
];

module.exports = { name: PLUGIN_NAME, createNodes, createNodesV2: createNodes };
