// The model `cappy adapt` starts from: a folder (or a pulled hub id) with
// config.json, tokenizer.json and weights. Folders follow Scorer.load's rules
// (lib/model/model-dir.ts: a folder that exists wins over a cached hub id).
// The weights come from an HF checkpoint when the folder has one
// (model.safetensors, pytorch_model.bin or flax_model.msgpack, read by
// lib/convert, so an HF download trains as it is), else from the fp32
// onnx/model.onnx that forge and convert write (onnx-weights.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, ModelLoadError } from '../errors/index.js';
import { mapWeights, parseEncoderConfig, type EncoderConfig } from '../convert/architecture.js';
import { findWeightFile, openCheckpoint } from '../convert/checkpoint.js';
import { toRobertaConfig } from '../convert/forge-adapter.js';
import type { RobertaConfig } from '../forge/roberta-graph.js';
import { locateModel } from '../model/model-dir.js';
import type { ParameterSet } from './contract.js';
import { readOnnxWeights } from './onnx-weights.js';

export interface BaseModel {
  dir: string;
  /** config.json as read (copied into the output, with its cappy_forged mark when there is one). */
  rawConfig: Record<string, unknown>;
  encoder: EncoderConfig;
  config: RobertaConfig;
  /** The dropout rate config.json gives (hidden_dropout_prob). */
  configDropout: number;
  tokenizerPath: string;
  /** Set when the weights are random (cappy forge). */
  forged: unknown;
  /** Where the weights were read from, relative to dir. */
  weightsFrom: string;
  weights: ParameterSet;
  /** SHA-256 over config.json and tokenizer.json: a resume must start from the same model. */
  fingerprint: string;
  /** The longest encoding (special tokens included) the position table takes. */
  positionLimit: number;
  notes: string[];
}

function rate(raw: Record<string, unknown>, key: string): number | undefined {
  const v = raw[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Reads config.json and tokenizer.json only (cheap): enough to check options before loading weights. */
export async function readBaseConfig(ref: string): Promise<Omit<BaseModel, 'weights' | 'weightsFrom'>> {
  const dir = locateModel(ref);
  const configPath = join(dir, 'config.json');
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(configPath)) throw new ModelLoadError(`no config.json in ${dir}; adapt needs the model's config`);
  if (!existsSync(tokenizerPath)) throw new ModelLoadError(`no tokenizer.json in ${dir}`);
  const configBytes = await readFile(configPath);
  let raw: unknown;
  try {
    raw = JSON.parse(configBytes.toString('utf8'));
  } catch (e) {
    throw new ModelLoadError(`${configPath} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const encoder = parseEncoderConfig(raw, configPath);
  const rawConfig = encoder.raw;
  const config = toRobertaConfig(encoder);
  const notes: string[] = [];
  const hidden = rate(rawConfig, 'hidden_dropout_prob') ?? 0.1;
  const others = {
    attention_probs_dropout_prob: rate(rawConfig, 'attention_probs_dropout_prob'),
    classifier_dropout: rate(rawConfig, 'classifier_dropout'),
  };
  for (const [key, v] of Object.entries(others)) {
    if (v !== undefined && v !== hidden)
      notes.push(
        `config.json has ${key} ${v} and hidden_dropout_prob ${hidden}; the training graph applies one rate, ${hidden}, at every dropout site`,
      );
  }
  const fingerprint = createHash('sha256')
    .update(configBytes)
    .update(await readFile(tokenizerPath))
    .digest('hex');
  const positionLimit = config.family === 'roberta' ? config.maxPositions - config.padId - 1 : config.maxPositions;
  return {
    dir,
    rawConfig,
    encoder,
    config,
    configDropout: hidden,
    tokenizerPath,
    forged: rawConfig.cappy_forged,
    fingerprint,
    positionLimit,
    notes,
  };
}

/** The base model's weights (each tensor in a buffer of its own: they are trained in place). */
export async function loadBaseWeights(
  base: Pick<BaseModel, 'dir' | 'encoder' | 'config'>,
): Promise<{ weights: ParameterSet; weightsFrom: string; notes: string[] }> {
  const found = findWeightFile(base.dir);
  if (found) {
    const source = await openCheckpoint(base.dir);
    try {
      const mapped = mapWeights(source, base.encoder);
      const loaded = await mapped.loadAll();
      const weights: ParameterSet = new Map([...loaded].map(([name, w]) => [name, w.slice()]));
      return { weights, weightsFrom: found.file, notes: [] };
    } finally {
      await source.close();
    }
  }
  const onnx = join(base.dir, 'onnx', 'model.onnx');
  if (!existsSync(onnx)) {
    throw new ModelLoadError(
      `no weights to train in ${base.dir}: no model.safetensors, pytorch_model.bin or flax_model.msgpack, and no fp32 onnx/model.onnx`,
    );
  }
  const { weights, notes } = await readOnnxWeights(onnx, base.config);
  return { weights, weightsFrom: 'onnx/model.onnx', notes };
}

/** The whole base model, weights included. */
export async function loadBaseModel(ref: string): Promise<BaseModel> {
  const base = await readBaseConfig(ref);
  const { weights, weightsFrom, notes } = await loadBaseWeights(base);
  return { ...base, weights, weightsFrom, notes: [...base.notes, ...notes] };
}

/** Refuses a --max-length the model's position table cannot take. */
export function checkMaxLength(maxLength: number, base: Pick<BaseModel, 'positionLimit' | 'dir'>): void {
  if (maxLength > base.positionLimit) {
    throw new InvalidInputError(
      `--max-length ${maxLength} is longer than the ${base.positionLimit} tokens the model's position table takes (${base.dir}/config.json)`,
    );
  }
}
