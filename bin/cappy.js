#!/usr/bin/env node
// The `cappy` command. The CLI itself lives in lib/cli and is built to dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'cli.js');
if (!existsSync(built)) {
  console.error('cappy: the TypeScript build is missing (dist/cli.js). Run `npm install` or `npm run build:ts` in ' + root);
  process.exit(1);
}
const { main } = await import(pathToFileURL(built).href);
process.exitCode = await main(process.argv);
