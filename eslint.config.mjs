import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.stack', '**/.nx', '**/bench-results', '**/test-output'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            // Apps compose libraries; nothing may import an app.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Dev tools (stack, mock, benchmarks, shipping checks) may use the libraries, never the apps' code.
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:tool', 'type:lib'] },
            // core is the foundation: it depends on no other library.
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [] },
            // The record depends only on core.
            { sourceTag: 'scope:schema', onlyDependOnLibsWithTags: ['scope:core'] },
            // The API client knows the API, not the record or the transports.
            { sourceTag: 'scope:source', onlyDependOnLibsWithTags: ['scope:core'] },
            // The ingest run contract (parameters, statuses, paths) takes its page bounds from the API client.
            { sourceTag: 'scope:contract', onlyDependOnLibsWithTags: ['scope:core', 'scope:source'] },
            // Transports carry the record; they never depend on each other or on the source.
            { sourceTag: 'scope:transport', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema'] },
            { sourceTag: 'scope:ingest', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'scope:source', 'scope:transport', 'scope:contract'] },
            { sourceTag: 'scope:stream-processor', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'scope:transport'] },
            { sourceTag: 'scope:orchestrator', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'scope:transport', 'scope:contract'] },
          ],
        },
      ],
    },
  },
  {
    // Tests may also use the dev tools (the mock API, the stack helpers).
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          // The same direction as the sources, with the dev tools allowed on top: a test may start the
          // mock API, but a kafka spec still may not reach into cassandra-sink.
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:tool', 'type:lib'] },
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['type:tool'] },
            { sourceTag: 'scope:schema', onlyDependOnLibsWithTags: ['scope:core', 'type:tool'] },
            { sourceTag: 'scope:source', onlyDependOnLibsWithTags: ['scope:core', 'type:tool'] },
            { sourceTag: 'scope:contract', onlyDependOnLibsWithTags: ['scope:core', 'scope:source', 'type:tool'] },
            { sourceTag: 'scope:transport', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'type:tool'] },
            {
              sourceTag: 'scope:ingest',
              onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'scope:source', 'scope:transport', 'scope:contract', 'type:tool'],
            },
            { sourceTag: 'scope:stream-processor', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'scope:transport', 'type:tool'] },
            { sourceTag: 'scope:orchestrator', onlyDependOnLibsWithTags: ['scope:core', 'scope:schema', 'scope:transport', 'scope:contract', 'type:tool'] },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/**/src/**/*.ts'],
    rules: {
      // Libraries are framework-free and take options: configuration is the apps' job.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@nestjs/*'], message: 'libraries stay free of NestJS' }] }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'libraries take options; apps read the environment' },
      ],
    },
  },
  {
    // The apps' NestJS classes take their dependencies by constructor type (decorator metadata): those
    // imports are values at run time, and the parser must know it or it would make them type-only.
    // (Patterns here are relative to each project's config, so this names every TypeScript file.)
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Types come in with `import type`, so an import that is only a type never loads a module at run time.
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // No import cycles, type-only ones included: they are how real ones start.
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.mjs', '.js'] } } },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // Layout is Prettier's job (`npm run format`); this turns off the stylistic rules that would disagree with it.
  prettier,
];
