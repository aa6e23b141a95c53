// Where the default model behind `cappy demo` and `cappy doctor` lives: a
// real converted Cappy when one is in the cache, else the forged tiny model
// (made on first use by lib/forge/default-model.ts). A forged model is
// always labelled as random weights.
import { join } from 'node:path';
import { cacheRoot, isModelFolder } from './cache.js';

export { cacheRoot };

export const DEFAULT_FORGED_PRESET = 'tiny';
export const DEFAULT_FORGED_SEED = 0;
/** Where `cappy pull btan2/cappy-large` will put the converted model. */
export const CAPPY_LARGE_CACHE_NAME = join('models', 'btan2--cappy-large');

/** The converted real Cappy in the cache, if any. */
export function findConvertedCappy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = join(cacheRoot(env), CAPPY_LARGE_CACHE_NAME);
  return isModelFolder(dir) ? dir : undefined;
}

/** The folder the forged default model is (or will be) written to. */
export function forgedDefaultDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'forged', `${DEFAULT_FORGED_PRESET}-seed${DEFAULT_FORGED_SEED}`);
}

export interface DefaultModel {
  dir: string;
  forged: boolean;
  created: boolean;
}

/** The default model when it is already there (a converted Cappy, else the forged one); undefined when it must be forged. */
export function findDefaultModel(env: NodeJS.ProcessEnv = process.env): DefaultModel | undefined {
  const real = findConvertedCappy(env);
  if (real) return { dir: real, forged: false, created: false };
  const dir = forgedDefaultDir(env);
  return isModelFolder(dir) ? { dir, forged: true, created: false } : undefined;
}
