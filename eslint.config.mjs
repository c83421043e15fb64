// ESLint flat config: typescript-eslint recommended + type-aware rules on project sources.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', '.build/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Output goes through src/cli/io.ts; only entry points, benches, scripts and tests may print directly.
    files: ['bin/**', 'bench/**', 'scripts/**', 'test/**', 'src/cli/io.ts', 'src/keeper/log.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // node:test's test()/describe() return promises the runner tracks itself.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' } },
  },
  {
    // Pure protocol and config logic must never depend on CDK or the AWS SDK.
    files: ['src/config/**', 'src/continuity/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['aws-cdk-lib', 'aws-cdk-lib/*', '@aws-sdk/*', 'constructs'] }],
    },
  },
);
