// An eslint-plugin-import resolver for this repository's own imports: every
// TypeScript file imports its siblings as `./name.js` (TypeScript's NodeNext
// rule), and the node resolver finds no such file, so import/no-cycle would
// see no edges at all. A relative `.js` (or `.mjs`) specifier whose file does
// not exist resolves to the `.ts` (or `.mts`) beside it; everything else goes
// to eslint-import-resolver-node, as before.
'use strict';
const { existsSync } = require('node:fs');
const { dirname, resolve } = require('node:path');
const node = require('eslint-import-resolver-node');

exports.interfaceVersion = 2;

exports.resolve = function resolveImport(source, file, config) {
  if (source.startsWith('.')) {
    const target = resolve(dirname(file), source);
    if (!existsSync(target)) {
      for (const [from, to] of [
        ['.js', '.ts'],
        ['.mjs', '.mts'],
      ]) {
        if (target.endsWith(from) && existsSync(target.slice(0, -from.length) + to)) {
          return { found: true, path: target.slice(0, -from.length) + to };
        }
      }
    }
  }
  return node.resolve(source, file, config);
};
