// The default model made on first use: when neither a converted Cappy nor the
// forged tiny model is in the cache (lib/model/default-model.ts says where),
// forge the tiny one. Forging writes into a temporary folder and renames it
// into place, so an interrupted first run never leaves a half-written model
// that later runs would trust.
import { mkdir, rename, rm } from 'node:fs/promises';
import {
  DEFAULT_FORGED_PRESET,
  DEFAULT_FORGED_SEED,
  findDefaultModel,
  forgedDefaultDir,
  type DefaultModel,
} from '../model/default-model.js';

export type { DefaultModel };

/** Returns the model `cappy demo` runs on, forging it first when needed. */
export async function ensureDefaultModel(
  options: { env?: NodeJS.ProcessEnv; onProgress?: (message: string) => void } = {},
): Promise<DefaultModel> {
  const env = options.env ?? process.env;
  const found = findDefaultModel(env);
  if (found) return found;
  const dir = forgedDefaultDir(env);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  options.onProgress?.(`forging the default model (${DEFAULT_FORGED_PRESET}, random weights) into ${dir}`);
  // Loaded here, so importing the library does not load the graph builder.
  const { forgeModel } = await import('./forge.js');
  await forgeModel({ preset: DEFAULT_FORGED_PRESET, seed: DEFAULT_FORGED_SEED, outDir: tmp });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { dir, forged: true, created: true };
}
