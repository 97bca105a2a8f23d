import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // HL7, MLLP and PostgreSQL text rules are about control characters by nature.
      'no-control-regex': 'off',
    },
  },
  {
    // The dashboard's browser modules (plain JS, served as they are).
    files: ['src/dashboard/public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries([
        'window', 'document', 'location', 'history', 'localStorage', 'fetch', 'WebSocket', 'URL', 'URLSearchParams',
        'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'devicePixelRatio',
        'Notification', 'AudioContext', 'ResizeObserver', 'Event', 'CustomEvent', 'EventTarget', 'Node', 'Element',
        'HTMLElement', 'HTMLInputElement', 'HTMLTextAreaElement', 'HTMLSelectElement', 'HTMLAnchorElement',
      ].map((name) => [name, 'readonly'])),
    },
  },
);
