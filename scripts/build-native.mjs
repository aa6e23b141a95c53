#!/usr/bin/env node
// Builds the native addon with cmake-js (the build of record). Run by the
// package's own `install` script, so `npm install` / `npm ci` on a fresh clone
// builds it; dependency install scripts are never needed.
//   node scripts/build-native.mjs [--force] [--debug]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = new Set(process.argv.slice(2));
const addon = join(root, 'build', 'Release', 'cappy.node');

if (process.env.CAPPY_SKIP_NATIVE_BUILD === '1') {
  console.log('cappy-engine: CAPPY_SKIP_NATIVE_BUILD=1, not building the addon');
  process.exit(0);
}

const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
if (cmake.error || cmake.status !== 0) {
  console.error('cappy-engine: cmake (>= 3.15) is needed to build the native addon. Install it (e.g. `apt-get install cmake`) and run `npm run build:native`.');
  process.exit(1);
}

const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const jobs = String(Math.max(1, availableParallelism()));
const cmd = [cmakeJs, args.has('--force') || !existsSync(addon) ? 'rebuild' : 'build', '--parallel', jobs];
if (args.has('--debug')) cmd.push('--debug');
// cmake-js takes Node's headers from npm's `nodedir`. Where the running Node
// ships its own headers (<prefix>/include/node), point it there, so no
// download is needed; otherwise cmake-js fetches them itself.
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
}
console.log('cappy-engine: building the native addon: node ' + cmd.join(' '));
const result = spawnSync(process.execPath, cmd, { cwd: root, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error('cappy-engine: the native build failed (see above).');
  process.exit(result.status ?? 1);
}
