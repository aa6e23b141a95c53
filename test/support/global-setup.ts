// Forges the models the model-dependent tests share, once per run, into a
// temporary folder; tests never touch the user's own cache (CAPPY_HOME).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A forged tiny model folder (seed 7). */
    tinyModelDir: string;
    /** A scratch CAPPY_HOME for this run. */
    cappyHome: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'cappy-test-'));
  const { forgeModel } = await import('../../lib/forge/index.js');
  const tinyModelDir = join(root, 'tiny-seed7');
  await forgeModel({ preset: 'tiny', seed: 7, outDir: tinyModelDir });
  const cappyHome = join(root, 'home');
  project.provide('tinyModelDir', tinyModelDir);
  project.provide('cappyHome', cappyHome);
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}
