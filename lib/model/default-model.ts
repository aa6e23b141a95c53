// The embedded default model behind `cappy demo`: a real converted Cappy when
// one is in the cache, else the forged tiny model, made on first use. A forged
// model is always labelled as random weights.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_FORGED_PRESET = 'tiny';
export const DEFAULT_FORGED_SEED = 0;
/** Where `cappy pull btan2/cappy-large` will put the converted model. */
export const CAPPY_LARGE_CACHE_NAME = join('models', 'btan2--cappy-large');

/** CAPPY_HOME, else ~/.cache/cappy. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAPPY_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cappy');
}

function hasModel(dir: string): boolean {
  return existsSync(join(dir, 'onnx', 'model.onnx')) && existsSync(join(dir, 'tokenizer.json'));
}

/** The converted real Cappy in the cache, if any. */
export function findConvertedCappy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = join(cacheRoot(env), CAPPY_LARGE_CACHE_NAME);
  return hasModel(dir) ? dir : undefined;
}

export interface DefaultModel {
  dir: string;
  forged: boolean;
  created: boolean;
}

/**
 * Returns the model `cappy demo` runs on. Forging writes into a temporary
 * folder and renames it into place, so an interrupted first run never leaves
 * a half-written model that later runs would trust.
 */
export async function ensureDefaultModel(
  options: { env?: NodeJS.ProcessEnv; onProgress?: (message: string) => void } = {},
): Promise<DefaultModel> {
  const env = options.env ?? process.env;
  const real = findConvertedCappy(env);
  if (real) return { dir: real, forged: false, created: false };

  const dir = join(cacheRoot(env), 'forged', `${DEFAULT_FORGED_PRESET}-seed${DEFAULT_FORGED_SEED}`);
  if (hasModel(dir)) return { dir, forged: true, created: false };

  const { forgeModel } = await import('../forge/index.js');
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  options.onProgress?.(`forging the default model (${DEFAULT_FORGED_PRESET}, random weights) into ${dir}`);
  await forgeModel({ preset: DEFAULT_FORGED_PRESET, seed: DEFAULT_FORGED_SEED, outDir: tmp });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { dir, forged: true, created: true };
}
