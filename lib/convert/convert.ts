// `cappy convert`: an HF model folder (config.json, tokenizer.json, weights)
// into the engine's layout (config.json, tokenizer.json, onnx/model.onnx).
// The graph comes from the forge's builder, the same code that makes the
// forged test models, fed the checkpoint's weights instead of random ones.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidInputError, ModelLoadError } from '../errors/index.js';
import { isModelDType, MODEL_DTYPES, ONNX_FILE_NAMES, removeOtherDTypes, type ModelDType } from '../model/dtypes.js';
import { mapWeights, parseEncoderConfig, type EncoderConfig } from './architecture.js';
import { openCheckpoint } from './checkpoint.js';
import { buildOnnx, builderCapabilities } from './forge-adapter.js';
import type { CheckpointFormat } from './source.js';

export type ExportDType = ModelDType;

export interface ConvertOptions {
  /**
   * Graphs to write from the checkpoint, one file each: fp32 onnx/model.onnx,
   * fp16 onnx/model_fp16.onnx, int8 onnx/model_int8.onnx. Default fp32.
   */
  dtype?: ExportDType | readonly ExportDType[];
  optimize?: boolean;
  /** Read this format even when a preferred one is present. */
  prefer?: CheckpointFormat;
  onMessage?: (message: string) => void;
  /** Bytes of weights written into the graph so far, of the total. */
  onProgress?: (written: number, total: number) => void;
}

export interface ConvertResult {
  outDir: string;
  /** The first graph written (fp32's when it was asked for). */
  onnxPath: string;
  /** Every graph written, by dtype. */
  onnxPaths: Partial<Record<ExportDType, string>>;
  /** Set when the weights went to onnx/model.onnx_data (models over 1 GiB, as Cappy). */
  externalDataPath?: string;
  format: CheckpointFormat;
  weightsPath: string;
  config: EncoderConfig;
  /** Checkpoint tensors the model does not use (reported, not fatal). */
  unused: string[];
}

/** Copied along when present; tokenizer.json and config.json are required. */
const COPIED = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'];

/** The dtypes asked for, checked, in order and without repeats. */
export function exportDTypes(opts: ConvertOptions): ExportDType[] {
  const raw = opts.dtype ?? 'fp32';
  const list: unknown[] = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [raw];
  for (const d of list) {
    if (!isModelDType(d))
      throw new InvalidInputError(`--dtype ${JSON.stringify(d)}: expected ${MODEL_DTYPES.join(', ')} (or a comma-separated list)`);
  }
  if (list.length === 0) throw new InvalidInputError(`--dtype: give at least one of ${MODEL_DTYPES.join(', ')}`);
  return [...new Set(list as ExportDType[])];
}

/** Checks the flags against what the builder can do, before any reading. */
export async function checkExportOptions(opts: ConvertOptions): Promise<void> {
  const caps = builderCapabilities();
  for (const d of exportDTypes(opts)) {
    if (!caps.dtypes.includes(d)) throw new InvalidInputError(`--dtype ${d} is not supported by the graph builder`);
  }
  if (opts.optimize && !caps.optimize) {
    throw new InvalidInputError('--optimize is not supported yet: the forge graph builder has no fused-op variant');
  }
}

export async function convertModelDir(srcDir: string, outDir: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  await checkExportOptions(opts);
  const src = resolve(srcDir);
  const out = resolve(outDir);
  const configPath = join(src, 'config.json');
  if (!existsSync(configPath)) throw new ModelLoadError(`no config.json in ${src}`);
  if (!existsSync(join(src, 'tokenizer.json'))) {
    throw new ModelLoadError(`no tokenizer.json in ${src}; the engine reads HF tokenizer.json files`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (e) {
    throw new ModelLoadError(`${configPath} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const config = parseEncoderConfig(raw, configPath);
  const source = await openCheckpoint(src, opts.prefer);
  try {
    const weights = mapWeights(source, config);
    if (weights.unused.length) {
      opts.onMessage?.(`ignoring ${weights.unused.length} unused tensor(s): ${weights.unused.slice(0, 5).join(', ')}`);
    }
    opts.onMessage?.(`reading ${source.path} (${source.format}) and building the graph`);
    await mkdir(join(out, 'onnx'), { recursive: true });
    const dtypes = exportDTypes(opts);
    // Files of other dtypes from an earlier conversion would hold other weights.
    await removeOtherDTypes(out, dtypes);
    const onnxPaths: Partial<Record<ExportDType, string>> = {};
    let externalDataPath: string | undefined;
    for (const dtype of dtypes) {
      const onnxPath = join(out, 'onnx', ONNX_FILE_NAMES[dtype]);
      // Each graph re-reads the checkpoint: holding it across graphs would
      // double peak memory at Cappy's size, and a read is ~1 s (docs/convert.md).
      const built = await buildOnnx(config, weights, onnxPath, { dtype, optimize: opts.optimize ?? false, onProgress: opts.onProgress });
      onnxPaths[dtype] = onnxPath;
      externalDataPath ??= built.externalDataPath;
    }
    const onnxPath = onnxPaths[dtypes[0]]!;
    await copyFile(configPath, join(out, 'config.json'));
    for (const f of COPIED) if (existsSync(join(src, f))) await copyFile(join(src, f), join(out, f));
    return {
      outDir: out,
      onnxPath,
      onnxPaths,
      externalDataPath,
      format: source.format,
      weightsPath: source.path,
      config,
      unused: weights.unused,
    };
  } finally {
    await source.close();
  }
}
