// A model folder in the HF layout (the one transformers.js also reads):
// config.json, tokenizer.json, onnx/model.onnx. The core reads the folder
// (native/core/model: which ONNX file for a dtype, config.json); this file
// keeps what only the Node side has: hub ids and the cache. Forged folders
// say so in config.json, and that label travels with every score the scorer
// reports.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelLoadError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeModelConfig } from '../native.js';
import { parseRepoId, resolveModelRef } from './cache.js';
import type { ModelDType } from './dtypes.js';

export interface ForgedLabel {
  preset: string;
  seed: number;
  note: string;
}

export interface ModelDir {
  dir: string;
  onnxPath: string;
  tokenizerPath: string;
  /** What the core read from config.json; undefined when the folder has none. */
  config: NativeModelConfig | undefined;
  /** Set when the weights are random (made by `cappy forge`), not a trained checkpoint. */
  forged: ForgedLabel | undefined;
  /**
   * The longest encoding (special tokens included) the model's position
   * table takes, from config.json (RoBERTa-family positions start after
   * pad_token_id); undefined when the config does not say.
   */
  positionLimit: number | undefined;
  /** The number format of the chosen graph; undefined for an onnxFile whose name does not say. */
  dtype: ModelDType | undefined;
  /** Why this file: e.g. "auto on cpu: int8 (also here: fp32)". */
  dtypeChoice: string;
}

/** Which graph to use: a file by name, or a dtype ('auto': the best the folder has for the device). */
export interface ModelSelection {
  onnxFile?: string;
  dtype?: ModelDType | 'auto';
  /** The device asked for: 'cuda' and 'tensorrt' rank dtypes for a GPU; 'cpu' and 'auto' for the CPU. */
  device?: string;
}

/**
 * A model reference is a folder path or a hub id such as 'btan2/cappy-large'.
 * A folder that exists always wins, so a local 'owner/name' directory is never
 * shadowed by the cache; otherwise a pulled and converted hub model is used.
 */
export function locateModel(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  const abs = resolve(ref);
  if (existsSync(abs)) return abs;
  const cached = resolveModelRef(ref, env);
  if (cached) return cached;
  if (parseRepoId(ref)) {
    throw new ModelLoadError(`no folder ${abs}, and ${ref} has not been pulled. Run \`cappy pull ${ref}\` to download and convert it.`, {
      reason: 'not_pulled',
    });
  }
  throw new ModelLoadError(`model folder not found: ${abs}`, { reason: 'folder_not_found' });
}

export async function readModelDir(ref: string, select: string | ModelSelection = {}): Promise<ModelDir> {
  const abs = locateModel(ref);
  const { onnxFile, dtype, device } = typeof select === 'string' ? { onnxFile: select } : select;
  let folder;
  try {
    folder = loadAddon().readModelFolder(abs, {
      onnxFile: onnxFile ?? '',
      dtype: dtype ?? '',
      gpu: device === 'cuda' || device === 'tensorrt',
    });
  } catch (e) {
    const err = fromNative(e);
    // The core's message is neutral (C hosts read it too); the CLI's way to make a graph is ours to add.
    if (err instanceof ModelLoadError && err.reason === 'onnx_missing') {
      throw new ModelLoadError(
        `${err.message} Make one with \`cappy forge\` or \`cappy convert\` (\`--dtype fp32,int8\` writes several).`,
        {
          cause: e,
          reason: err.reason,
        },
      );
    }
    throw err;
  }
  const config = folder.config;
  return {
    dir: folder.dir,
    onnxPath: folder.onnxPath,
    tokenizerPath: folder.tokenizerPath,
    config,
    forged: config?.forged,
    positionLimit: config?.positionLimit || undefined,
    dtype: folder.dtype,
    dtypeChoice: folder.dtypeChoice,
  };
}
