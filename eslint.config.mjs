// Import boundaries are the point of this file (see STYLE.md "The house"):
//   main/sip, main/media, main/monitor, main/monitoring — the engine: plain Node, never `electron`;
//   main/devhost — the development/test host: plain Node, never `electron`;
//   renderer/ — DOM only: never Node built-ins, never main/;
//   preload/ — the contract: never main/ except as types.
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'http',
  'http2', 'https', 'net', 'os', 'path', 'process', 'stream', 'tls', 'url', 'util', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    // TypeScript inside .svelte components and in rune modules (*.svelte.ts).
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/sip/**/*.ts', 'main/media/**/*.ts', 'main/monitor/**/*.ts', 'main/monitoring/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The SIP engine is plain Node: it must not import electron.' }],
        patterns: [
          { group: ['electron/*', 'electron-*'], message: 'The SIP engine is plain Node: no Electron packages.' },
          { group: ['**/shell/**', '**/renderer/**', '**/preload/**'], message: 'The engine depends on nothing above it.' },
        ],
      }],
    },
  },
  {
    files: ['main/devhost/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The development host stands in for Electron: it must not import it.' }],
        patterns: [
          { group: ['electron/*', 'electron-*'], message: 'The development host runs under plain Node.' },
          { group: ['**/renderer/**'], message: 'The host serves the built renderer; it never imports its code.' },
        ],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['electron', ...nodeBuiltins].map((name) => ({ name, message: 'The renderer is DOM only.' })),
        patterns: [
          { group: ['node:*'], message: 'The renderer is DOM only: no Node built-ins.' },
          { group: ['**/main/**', 'jssip', 'jssip/*', 'ws'], message: 'The renderer reaches main only through the preload bridge.' },
        ],
      }],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/main/**'], allowTypeImports: true, message: 'The contract may name engine types, never import engine code.' }],
      }],
    },
  },
);
