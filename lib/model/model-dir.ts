// A model folder in the HF layout (the one transformers.js also reads):
// config.json, tokenizer.json, onnx/model.onnx. Forged folders say so in
// config.json, and that label travels with every score the scorer reports.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelLoadError } from '../errors/index.js';
import { parseRepoId, resolveModelRef } from '../hub/repo.js';

export interface ForgedLabel {
  preset: string;
  seed: number;
  note: string;
}

export interface ModelDir {
  dir: string;
  onnxPath: string;
  tokenizerPath: string;
  config: Record<string, unknown> | undefined;
  /** Set when the weights are random (made by `cappy forge`), not a trained checkpoint. */
  forged: ForgedLabel | undefined;
}

const ONNX_CANDIDATES = [join('onnx', 'model.onnx'), 'model.onnx'];

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
    throw new ModelLoadError(
      `no folder ${abs}, and ${ref} has not been pulled. Run \`cappy pull ${ref}\` to download and convert it.`,
    );
  }
  throw new ModelLoadError(`model folder not found: ${abs}`);
}

export async function readModelDir(ref: string, onnxFile?: string): Promise<ModelDir> {
  const abs = locateModel(ref);
  if (!statSync(abs).isDirectory()) {
    throw new ModelLoadError(`model path is not a folder: ${abs}`);
  }
  const onnxPath = onnxFile
    ? resolve(abs, onnxFile)
    : ONNX_CANDIDATES.map((c) => join(abs, c)).find((p) => existsSync(p));
  if (!onnxPath || !existsSync(onnxPath)) {
    throw new ModelLoadError(
      `no ONNX model in ${abs} (looked for ${onnxFile ?? ONNX_CANDIDATES.join(', ')}). ` +
        'Make one with `cappy forge` or `cappy convert`.',
    );
  }
  const tokenizerPath = join(abs, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new ModelLoadError(`no tokenizer.json in ${abs}`);

  let config: Record<string, unknown> | undefined;
  const configPath = join(abs, 'config.json');
  if (existsSync(configPath)) {
    try {
      config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ModelLoadError(`config.json in ${abs} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  const forgedRaw = config?.cappy_forged as Partial<ForgedLabel> | undefined;
  const forged = forgedRaw
    ? {
        preset: String(forgedRaw.preset ?? 'unknown'),
        seed: Number(forgedRaw.seed ?? 0),
        note: String(forgedRaw.note ?? 'random weights, not Cappy'),
      }
    : undefined;
  return { dir: abs, onnxPath, tokenizerPath, config, forged };
}
