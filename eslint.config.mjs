import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// The functional core must stay free of I/O so it can be tested with plain data.
const coreRestrictions = {
  patterns: [
    { group: ['@actions/*'], message: 'The core is pure: pass data in, do I/O in an adapter.' },
    {
      group: ['@aws-sdk/*'],
      message: 'The core is pure: AWS calls belong in src/aws or src/deploy.',
    },
  ],
  paths: [
    { name: 'fs', message: 'The core is pure: read files in an adapter.' },
    { name: 'node:fs', message: 'The core is pure: read files in an adapter.' },
    { name: 'fs/promises', message: 'The core is pure: read files in an adapter.' },
    { name: 'node:fs/promises', message: 'The core is pure: read files in an adapter.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'lib/**',
      'node_modules/**',
      'coverage/**',
      'examples/out/**',
      'jest.config.js',
      '.bench/**',
      '.scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
    },
  },
  {
    // CommonJS run by Node as is: the scripts, and the HCL parser's worker thread.
    files: ['scripts/**/*.js', 'src/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        __dirname: 'readonly',
        module: 'readonly',
        WebAssembly: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: [
      'src/inputs/parse.ts',
      'src/inputs/github-inputs.ts',
      'src/github/deployment-record.ts',
      'src/registry/reference.ts',
      'src/report/plan.ts',
      'src/migrations/**/*.ts',
      'src/atlas/**/*.ts',
      'src/image/**/*.ts',
      'src/taskdef/**/*.ts',
      'src/report/render-*.ts',
      'src/deploy/left-behind.ts',
      'src/deploy/rollback-words.ts',
      'src/errors.ts',
    ],
    rules: { 'no-restricted-imports': ['error', coreRestrictions] },
  },
);
