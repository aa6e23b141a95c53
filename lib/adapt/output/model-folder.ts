// The output of `cappy adapt`: one folder, written under a temporary name and
// renamed into place when complete (nothing appears at --out on any error):
// - a model folder every face loads as it is (Scorer.load, cappy serve, the
//   C ABI): config.json (the base's, byte for byte, so a forged base stays
//   marked cappy_forged), the tokenizer files, and onnx/model.onnx (plus
//   model_int8.onnx / model_fp16.onnx with --dtype) built by the same graph
//   builder as forge and convert, from the trained weights;
// - model.safetensors with HF parameter names and layout (Linear [out, in]),
//   metadata format "pt", so transformers' from_pretrained(DIR) and
//   `cappy convert DIR` read it;
// - adapt.json: the settings, the data's SHA-256, steps, per-step loss and lr,
//   eval before and after.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../../errors/index.js';
import { buildRobertaGraph, type RobertaConfig } from '../../forge/roberta-graph.js';
import { ONNX_FILE_NAMES, type ModelDType } from '../../model/dtypes.js';
import { makeTempDirBeside, publishDir } from '../atomic-dir.js';
import type { ParameterSet } from '../contract.js';
import { writeSafetensors } from './safetensors.js';

/** Copied from the base folder when present (config.json and tokenizer.json always are). */
export const COPIED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
  'sentencepiece.bpe.model',
];

/**
 * Refuses an --out that already holds something, unless `overwrite`: checked
 * before training starts, so a long run never ends in a refusal, and again
 * before the rename.
 */
export async function checkOutDir(outDir: string, overwrite: boolean): Promise<void> {
  const out = resolve(outDir);
  if (!existsSync(out)) return;
  const s = await stat(out);
  if (!s.isDirectory()) throw new InvalidInputError(`--out ${out} is a file; give a folder path`);
  if (overwrite) return;
  const entries = await readdir(out);
  if (entries.length === 0) return;
  const what = entries.includes('config.json') ? 'another model' : `${entries.length} file(s)`;
  throw new InvalidInputError(`--out ${out} already holds ${what}; choose another folder or pass --overwrite to replace it`);
}

export interface OutputSpec {
  outDir: string;
  overwrite: boolean;
  baseDir: string;
  config: RobertaConfig;
  weights: ParameterSet;
  /** Parameter names and shapes, in the order the safetensors header lists them (sorted by name when written). */
  shapes: ReadonlyMap<string, readonly number[]>;
  dtypes: readonly ModelDType[];
  adaptJson: unknown;
  onMessage?: (message: string) => void;
}

export async function writeOutput(spec: OutputSpec): Promise<{ dir: string; files: string[] }> {
  const out = resolve(spec.outDir);
  await checkOutDir(out, spec.overwrite);
  const tmp = await makeTempDirBeside(out, 'adapt-out');
  const files: string[] = [];
  try {
    for (const f of COPIED_FILES) {
      if (!existsSync(join(spec.baseDir, f))) continue;
      await copyFile(join(spec.baseDir, f), join(tmp, f));
      files.push(f);
    }
    await mkdir(join(tmp, 'onnx'));
    for (const dtype of [...new Set(spec.dtypes)]) {
      const graph = buildRobertaGraph(
        spec.config,
        (name) => {
          const data = spec.weights.get(name);
          const shape = spec.shapes.get(name);
          if (!data || !shape) throw new Error(`the graph asked for ${name}, which training does not have`);
          return { shape: [...shape], data };
        },
        { dtype },
      );
      const file = `onnx/${ONNX_FILE_NAMES[dtype]}`;
      const written = await graph.write(join(tmp, file));
      files.push(file);
      if (written.externalDataPath) files.push(`${file}_data`);
    }
    await writeSafetensors(
      join(tmp, 'model.safetensors'),
      [...spec.shapes].map(([name, shape]) => ({ name, shape, data: spec.weights.get(name)! })),
      { format: 'pt' },
    );
    files.push('model.safetensors');
    await writeFile(join(tmp, 'adapt.json'), JSON.stringify(spec.adaptJson, null, 1) + '\n');
    files.push('adapt.json');
    await checkOutDir(out, spec.overwrite);
    await publishDir(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: out, files };
}
