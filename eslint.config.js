// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Drivers, servers and I/O libraries: the business of adapters, never of the pure core. */
const IO_PACKAGES = [
  'pg',
  'mysql2',
  'ioredis',
  'better-sqlite3',
  'amqplib',
  'nats',
  'undici',
  'fastify',
  'pino',
  'prom-client',
];
const PURE_CORE =
  'The core is pure: no Node.js module, driver or I/O library (adapters live in server and client).';
const NO_SERVER_IN_SDK = 'The SDK never imports the coordinator; share through @accord/core.';

/** Tests and their helpers may use what the code under test may not. */
const TEST_FILES = ['**/*.test.ts', '**/test-support/**'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      '**/node_modules/**',
      '.accord/**',
      '.tools/**',
      'scripts/**',
      'packages/dashboard/build.mjs',
      'eslint.config.js',
      'packages/server/bin/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false } },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Async interface methods and Fastify handlers often have synchronous bodies.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...new Set([...builtinModules, ...IO_PACKAGES])].map((name) => ({
            name,
            message: PURE_CORE,
          })),
          patterns: [
            { regex: '^node:', message: PURE_CORE },
            {
              regex: `^(${builtinModules.join('|')}|${IO_PACKAGES.join('|')})/`,
              message: PURE_CORE,
            },
            {
              regex: '^@accord/(server|client)(/|$)|(^|/)(server|client)/(src|dist)(/|$)',
              message: 'The core depends on no other package of Accord.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression', message: 'The core loads nothing at run time.' },
      ],
    },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@accord/server(/|$)', message: NO_SERVER_IN_SDK },
            { regex: '(^|/)server/(src|dist)(/|$)', message: NO_SERVER_IN_SDK },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/{core,server,client}/src/**/*.ts'],
    ignores: [...TEST_FILES, 'packages/server/src/config/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Settings are read once, by the server configuration (config/config.ts).',
        },
      ],
    },
  },
);
