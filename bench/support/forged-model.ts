// The forged model a bench runs on: made once (seed 1) into bench/.cache and
// reused, so every bench and every run of one measures the same weights.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { forgeModel } from '../../lib/index.js';
import type { Preset } from '../../lib/forge/index.js';

export async function forgedBenchModel(preset: Preset): Promise<string> {
  const dir = join(resolve(import.meta.dirname, '..', '.cache'), `${preset}-seed1`);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    console.error(`forging ${preset} (seed 1, random weights) into ${dir} ...`);
    await forgeModel({ preset, seed: 1, outDir: dir });
  }
  return dir;
}
