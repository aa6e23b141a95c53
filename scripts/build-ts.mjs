#!/usr/bin/env node
// Builds dist/ with tsup, only when its inputs changed, and swaps the new
// build in whole. It is the package's `prepare` script, which npm runs not only
// on `npm install` and `npm pack` but also when `npx cappy` inside this checkout
// installs the checkout into npm's npx cache (npm exec installs a project whose
// own bin matches the command as a link, and runs the link target's `prepare`
// and `install` scripts in the working tree). So running it again must change
// nothing, and a rebuild must never leave dist/ missing or half written.
//   node scripts/build-ts.mjs [--force]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const STAMP = '.build-inputs';
/** What dist/ is built from: lib/ and the plain-JS modules it bundles, the configs, and tsup itself. */
const INPUTS = ['lib', 'scripts/platform-package.mjs', 'scripts/platform-package.d.mts', 'tsup.config.ts', 'tsconfig.json', 'package.json'];

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

function inputsHash() {
  const hash = createHash('sha256');
  const tsup = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('tsup/package.json'), 'utf8')).version;
  hash.update(`tsup ${tsup}\n`);
  for (const f of INPUTS.flatMap((p) => files(join(root, p))).sort()) {
    hash.update(`${relative(root, f)}\n`).update(readFileSync(f));
  }
  return hash.digest('hex');
}

const want = inputsHash();
const stamp = join(dist, STAMP);
if (!process.argv.includes('--force') && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
  console.log('cappy-engine: dist/ is up to date with lib/');
  process.exit(0);
}
const next = join(root, `dist.next-${process.pid}`);
const old = join(root, `dist.old-${process.pid}`);
rmSync(next, { recursive: true, force: true });
const tsup = join(dirname(createRequire(import.meta.url).resolve('tsup/package.json')), 'dist', 'cli-default.js');
const r = spawnSync(process.execPath, [tsup, '--out-dir', next], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  process.exit(r.status ?? 1);
}
writeFileSync(join(next, STAMP), want);
// Two renames: dist/ is absent only between them, never while tsup works.
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
