import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The release tests use the dev tools (the mock API), a type:tool project like this one.
    files: ['**/*.ts'],
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
