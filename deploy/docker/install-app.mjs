#!/usr/bin/env node
// Installs cappy-engine into an application folder the way a user's project
// gets it: from the release tarballs (`npm run release:pack`), the main
// package plus the platform package with the prebuilt addon, production
// dependencies only. The images' build stage runs this; their runtime stage
// copies the folder and nothing else of the build. test/model/deploy-docker.test.ts
// runs it too, then runs the result with no compiler on PATH.
//   node deploy/docker/install-app.mjs --release DIR --app DIR [--with PKG@VERSION ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { release: { type: 'string' }, app: { type: 'string' }, with: { type: 'string', multiple: true, default: [] } },
});
if (!values.release || !values.app) {
  console.error('usage: node deploy/docker/install-app.mjs --release DIR --app DIR [--with PKG@VERSION ...]');
  process.exit(2);
}
const release = resolve(values.release);
const app = resolve(values.app);
const fail = (m) => {
  console.error(`install-app: ${m}`);
  process.exit(1);
};

const manifest = JSON.parse(readFileSync(join(release, 'release.json'), 'utf8'));
const tarball = (name) => {
  const t = manifest.tarballs.find((x) => x.name === name);
  if (!t) fail(`${release}/release.json lists no ${name} tarball`);
  return join(release, t.file);
};
const main = tarball('cappy-engine');
const platform = tarball(`@cappy-engine/${manifest.buildInfo.platform}`);

mkdirSync(app, { recursive: true });
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cappy-app', version: '1.0.0', private: true }, null, 2) + '\n');
const r = spawnSync(
  'npm',
  ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', main, platform, ...values.with],
  { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
);
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.status !== 0) fail(`npm install failed (exit ${r.status})`);
// The runtime image has no compiler: the install must have taken the prebuilt.
if (!/using the prebuilt addon from @cappy-engine\//.test(r.stdout + r.stderr)) fail('the install did not use the prebuilt addon');
if (existsSync(join(app, 'node_modules', 'cappy-engine', 'build'))) fail('the install built the addon from source');
console.log(`install-app: cappy-engine installed in ${app} with the prebuilt addon`);
