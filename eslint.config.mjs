// ESLint (flat config) for the pages' own code in frontend/: eslint's recommended rules and the
// globals of the place each file runs in. Style is left alone. `make test` runs it
// (scripts/test.sh): node_modules/.bin/eslint frontend/
import js from '@eslint/js';
import globals from 'globals';

export default [
  // Everything outside frontend/ is installed, generated or vendored: never linted.
  { ignores: ['node_modules/', 'static-build/', '.venv/', '.data/', 'test-artifacts/'] },
  js.configs.recommended,
  {
    files: ['frontend/src/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.browser },
  },
  {
    files: ['frontend/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
  },
];
