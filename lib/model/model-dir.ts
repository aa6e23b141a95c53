// A model folder in the HF layout (the one transformers.js also reads):
// config.json, tokenizer.json, onnx/model.onnx. Forged folders say so in
// config.json, and that label travels with every score the scorer reports.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelLoadError } from '../errors/index.js';
import { parseRepoId, resolveModelRef } from '../hub/repo.js';
import { CPU_AUTO_ORDER, GPU_AUTO_ORDER, MODEL_DTYPES, ONNX_CANDIDATES, type ModelDType } from './dtypes.js';

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
    throw new ModelLoadError(
      `no folder ${abs}, and ${ref} has not been pulled. Run \`cappy pull ${ref}\` to download and convert it.`,
    );
  }
  throw new ModelLoadError(`model folder not found: ${abs}`);
}

export async function readModelDir(ref: string, select: string | ModelSelection = {}): Promise<ModelDir> {
  const abs = locateModel(ref);
  if (!statSync(abs).isDirectory()) {
    throw new ModelLoadError(`model path is not a folder: ${abs}`);
  }
  const { onnxPath, dtype, dtypeChoice } = selectOnnx(abs, typeof select === 'string' ? { onnxFile: select } : select);
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
  return { dir: abs, onnxPath, tokenizerPath, config, forged, dtype, dtypeChoice };
}

function firstPresent(dir: string, dtype: ModelDType): string | undefined {
  return ONNX_CANDIDATES[dtype].map((c) => join(dir, c)).find((p) => existsSync(p));
}

function selectOnnx(dir: string, select: ModelSelection): { onnxPath: string; dtype: ModelDType | undefined; dtypeChoice: string } {
  const present = MODEL_DTYPES.filter((d) => firstPresent(dir, d));
  const here = present.length ? present.join(', ') : 'none';
  const make = 'Make one with `cappy forge` or `cappy convert` (`--dtype fp32,int8` writes several).';
  if (select.onnxFile !== undefined) {
    const onnxPath = resolve(dir, select.onnxFile);
    if (!existsSync(onnxPath)) throw new ModelLoadError(`no ONNX model at ${onnxPath} (onnxFile). ${make}`);
    const named = MODEL_DTYPES.find((d) => ONNX_CANDIDATES[d].some((c) => join(dir, c) === onnxPath));
    return { onnxPath, dtype: named, dtypeChoice: `onnxFile ${select.onnxFile}` };
  }
  const want = select.dtype ?? 'fp32';
  if (want === 'auto') {
    const gpu = select.device === 'cuda' || select.device === 'tensorrt';
    const order = gpu ? GPU_AUTO_ORDER : CPU_AUTO_ORDER;
    const pick = order.find((d) => present.includes(d));
    if (!pick) throw new ModelLoadError(`no ONNX model in ${dir} (looked for ${MODEL_DTYPES.map((d) => ONNX_CANDIDATES[d].join(', ')).join(', ')}). ${make}`);
    const others = present.filter((d) => d !== pick);
    return { onnxPath: firstPresent(dir, pick)!, dtype: pick, dtypeChoice: `auto on ${gpu ? 'gpu' : 'cpu'}: ${pick}${others.length ? ` (also here: ${others.join(', ')})` : ''}` };
  }
  const onnxPath = firstPresent(dir, want);
  if (!onnxPath) {
    throw new ModelLoadError(
      `no ONNX model in ${dir} for dtype ${want} (looked for ${ONNX_CANDIDATES[want].join(', ')}; dtypes here: ${here}). ` +
        `${make}${present.length ? " Or load with dtype: 'auto'." : ''}`,
    );
  }
  return { onnxPath, dtype: want, dtypeChoice: select.dtype ? `dtype ${want}` : 'default fp32' };
}

/**
 * The longest encoding (special tokens included) the model's position table
 * can take, from config.json, or undefined when the config does not say.
 * RoBERTa-family positions start after pad_token_id (514 rows: 512 tokens);
 * BERT's start at 0.
 */
export function positionLimit(config: Record<string, unknown> | undefined): number | undefined {
  const rows = config?.max_position_embeddings;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows <= 0) return undefined;
  const type = String(config?.model_type ?? '');
  const offsetFamily = ['roberta', 'xlm-roberta', 'camembert'].includes(type);
  const pad = typeof config?.pad_token_id === 'number' ? config.pad_token_id : 1;
  return offsetFamily ? rows - pad - 1 : rows;
}
