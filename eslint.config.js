import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------
// The layers (docs/architecture.md, "Layers and their lint"). Dependencies run one way:
// the pure modules (src/domain, src/engine, the IDCO parsers, the export's formatters)
// at the bottom, src/store above them, the services, routes and wiring above that.
// `no-restricted-imports` keeps the direction; the pure modules also may not read the
// clock (they take the time as a parameter), and SQL lives only in src/store.
// A file matched by two blocks gets the options of the later one only (flat config does
// not merge a rule's options), so each block below carries its whole list.

/** Packages that do IO: a pure module imports none of them. */
const IO_MODULES = [
  'pg', 'pg-cursor', 'kysely', 'fastify', 'ws', 'prom-client', 'pino',
  ...['fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'child_process',
    'worker_threads', 'cluster', 'readline', 'process', 'os', 'timers', 'timers/promises']
    .flatMap((m) => [m, `node:${m}`]),
];
const NO_IO = IO_MODULES.map((name) => ({ name, message: 'A pure module does no IO: take what it needs as a parameter.' }));
const NO_IO_PATTERNS = [{ group: ['@fastify/*', 'kysely/*', 'pg/*'], message: 'A pure module does no IO.' }];

/**
 * Outside src/store, kysely's values (sql, CompiledQuery, ...) may not be imported, nor the
 * PostgreSQL driver (a pg.Client or Pool runs SQL as text): SQL belongs in src/store.
 */
const NO_SQL = [
  {
    name: 'kysely', allowTypeImports: true,
    message: 'SQL lives in src/store/: add a function there and call it (type-only imports of kysely are fine).',
  },
  ...['pg', 'pg-cursor'].map((name) => ({
    name, allowTypeImports: true,
    message: 'SQL lives in src/store/: the database driver is used there only (type-only imports are fine).',
  })),
];
/** Outside src/store, no query builder either (`db.selectFrom(...)` needs no import). */
const NO_QUERY_BUILDER = {
  selector: "CallExpression > MemberExpression.callee[property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|executeQuery)$/]",
  message: 'SQL lives in src/store/: add a function there and call it.',
};
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Blocks confining the relative imports of the files under `dir` (a folder, from the
 * repository root) to `dir` itself and the folders of src/ in `allowed`; `paths` and
 * `extraPatterns` are the rest of the rule's options for those files. One block per depth
 * below `dir`, since a relative path leaves `dir` after as many `../` as the file is deep
 * (up to `maxDepth` folders down; the layers are flatter than that).
 */
function confined(dir, { allowed, paths = [], extraPatterns = [], ignores = [], maxDepth = 3 }) {
  const toSrc = dir.split('/').length - 1; // '../' from a file directly in dir to src/
  return Array.from({ length: maxDepth + 1 }, (_, depth) => {
    const up = '../'.repeat(toSrc + depth);
    // What may follow the way out of `dir`: src/<allowed>/ (with none allowed, nothing may).
    const exits = allowed.length ? `(?!${allowed.map((a) => `${escape(up)}${escape(a)}/`).join('|')})` : '';
    return {
      files: [`${dir}/${'*/'.repeat(depth)}*.ts`],
      ignores,
      rules: {
        '@typescript-eslint/no-restricted-imports': ['error', {
          paths,
          patterns: [
            {
              regex: `^${exits}(\\.\\./){${depth + 1}}`,
              message: `${dir}/ may import ${allowed.length ? `only from itself and src/{${allowed.join(',')}}/` : 'nothing outside itself'} (the layers: docs/architecture.md).`,
            },
            ...extraPatterns,
          ],
        }],
      },
    };
  });
}

/** The export's pure modules, beside its IO (routes, run, scope, cli) in src/export/. */
const EXPORT_PURE = ['columns', 'csv', 'deidentify', 'encode', 'format', 'line-buffer', 'small-cells', 'timeline'];
/** The pure modules read no clock: the time comes in as a parameter. */
const PURE_FILES = [
  'src/domain/**/*.ts',
  'src/engine/**/*.ts',
  'src/ingest/idco/**/*.ts',
  ...EXPORT_PURE.map((f) => `src/export/${f}.ts`),
];
/** The IDCO files that are not parsers: the identity check's audit trail writes to the database. */
const IDCO_IO = ['src/ingest/idco/identity-audit.ts'];
const NO_CLOCK = {
  files: PURE_FILES,
  ignores: IDCO_IO,
  rules: {
    'no-restricted-properties': ['error',
      { object: 'Date', property: 'now', message: 'A pure module reads no clock: take the time as a parameter.' },
      { object: 'performance', property: 'now', message: 'A pure module reads no clock: take the time as a parameter.' },
    ],
    'no-restricted-syntax': ['error',
      NO_QUERY_BUILDER,
      { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'A pure module reads no clock: `new Date()` reads it; take the time as a parameter.' },
      { selector: "CallExpression[callee.name='Date']", message: 'A pure module reads no clock: `Date()` reads it; take the time as a parameter.' },
    ],
  },
};

const layers = [
  // Everywhere but src/store: no SQL.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: NO_SQL }],
      'no-restricted-syntax': ['error', NO_QUERY_BUILDER],
    },
  },
  // src/store: the pure layers and config below it, nothing above. The engine is among
  // them: it is pure (confined below), and the store persists its state and decisions.
  ...confined('src/store', { allowed: ['domain', 'engine', 'util', 'config'] }),
  // The pure modules: no IO, and imports only from the pure layers below them.
  ...confined('src/domain', { allowed: [], paths: NO_IO, extraPatterns: NO_IO_PATTERNS }),
  ...confined('src/engine', { allowed: ['domain', 'util'], paths: NO_IO, extraPatterns: NO_IO_PATTERNS }),
  ...confined('src/ingest/idco', {
    allowed: ['domain', 'util'], ignores: IDCO_IO, extraPatterns: NO_IO_PATTERNS,
    // The MLLP framing works on Buffers (node:buffer, not IO); the rest on strings.
    paths: NO_IO,
  }),
  {
    // The export's formatters and de-identification: pure, beside the export's IO (routes,
    // run, scope) in src/export/, so confined by name.
    files: PURE_FILES.filter((f) => f.startsWith('src/export/')),
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: NO_IO,
        patterns: [
          ...NO_IO_PATTERNS,
          {
            regex: '^\\.\\./(?!domain/)',
            message: 'The export\'s pure modules import only from src/domain/ and each other (docs/architecture.md).',
          },
          {
            regex: `^\\./(?!(${EXPORT_PURE.join('|')})\\.ts$)`,
            message: 'The export\'s pure modules import only from src/domain/ and each other (docs/architecture.md).',
          },
        ],
      }],
    },
  },
  NO_CLOCK,
];

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
  ...layers,
);
