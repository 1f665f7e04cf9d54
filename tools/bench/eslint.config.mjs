import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The benchmarks drive the built libraries and apps and the other dev tools.
    files: ['**/*.ts', '**/*.mjs'],
    ignores: ['eslint.config.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [{ sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:tool', 'type:lib'] }],
        },
      ],
    },
  },
];
