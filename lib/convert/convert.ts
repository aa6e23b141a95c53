// `cappy convert`: an HF model folder (config.json, tokenizer.json, weights)
// into the engine's layout (config.json, tokenizer.json, onnx/model.onnx).
// The graph comes from the forge's builder, the same code that makes the
// forged test models, fed the checkpoint's weights instead of random ones.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidInputError, ModelLoadError } from '../errors/index.js';
import { mapWeights, parseEncoderConfig, type EncoderConfig } from './architecture.js';
import { openCheckpoint } from './checkpoint.js';
import { buildOnnx, builderCapabilities } from './forge-adapter.js';
import type { CheckpointFormat } from './source.js';

export type ExportDType = 'fp32' | 'fp16';

export interface ConvertOptions {
  dtype?: ExportDType;
  optimize?: boolean;
  /** Read this format even when a preferred one is present. */
  prefer?: CheckpointFormat;
  onMessage?: (message: string) => void;
  /** Bytes of weights written into the graph so far, of the total. */
  onProgress?: (written: number, total: number) => void;
}

export interface ConvertResult {
  outDir: string;
  onnxPath: string;
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

/** Checks the flags against what the builder can do, before any reading. */
export async function checkExportOptions(opts: ConvertOptions): Promise<void> {
  const caps = builderCapabilities();
  const dtype = opts.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'fp16') {
    throw new InvalidInputError(`--dtype ${JSON.stringify(dtype)}: expected fp32 or fp16`);
  }
  if (dtype === 'fp16' && !caps.fp16) {
    throw new InvalidInputError('--dtype fp16 is not supported yet: the forge graph builder emits fp32 graphs only');
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
    // A stale external-data file from an earlier, larger conversion would sit
    // beside a model that no longer points at it.
    await rm(join(out, 'onnx', 'model.onnx_data'), { force: true });
    const onnxPath = join(out, 'onnx', 'model.onnx');
    const { externalDataPath } = await buildOnnx(config, weights, onnxPath, {
      dtype: opts.dtype ?? 'fp32',
      optimize: opts.optimize ?? false,
      onProgress: opts.onProgress,
    });
    await copyFile(configPath, join(out, 'config.json'));
    for (const f of COPIED) if (existsSync(join(src, f))) await copyFile(join(src, f), join(out, f));
    return { outDir: out, onnxPath, externalDataPath, format: source.format, weightsPath: source.path, config, unused: weights.unused };
  } finally {
    await source.close();
  }
}
