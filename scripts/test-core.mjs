#!/usr/bin/env node
// Builds the C++ core on its own (no Node-API) and runs its ctest suite.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = join(root, 'build-ctest');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('cmake', ['-S', '.', '-B', dir, '-DCMAKE_BUILD_TYPE=Release']);
run('cmake', ['--build', dir, '--parallel', String(availableParallelism())]);
run('ctest', ['--test-dir', dir, '--output-on-failure']);
