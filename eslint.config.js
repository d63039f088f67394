// Type-aware lint: floating promises anywhere are bugs, and workflow code must stay deterministic,
// so I/O libraries and Node built-ins are rejected inside workflows/ (activities do the I/O).
import tseslint from 'typescript-eslint';

/** Imports that must never reach the workflow sandbox. */
export const FORBIDDEN_IN_WORKFLOWS = [
  'kafkajs',
  'ioredis',
  'mysql2',
  'mysql2/*',
  '@aws-sdk/*',
  'ws',
  'hono',
  'hono/*',
  '@hono/*',
  'pino',
  'jose',
  'prom-client',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'node:*',
  'fs',
  'fs/*',
  'net',
  'http',
  'https',
  'crypto',
  'child_process',
  'os',
  'path',
  'dns',
  'tls',
  '**/activities',
  '**/activities/*',
  '../activities',
  '../activities/*',
  '**/platform/clients/*',
  '**/platform/context',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.infra/**', '.data/**', 'dist/**', 'web/dist/**', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: FORBIDDEN_IN_WORKFLOWS,
              allowTypeImports: true,
              message: 'workflow code must be deterministic: do I/O in activities/',
            },
          ],
        },
      ],
    },
  },
);
