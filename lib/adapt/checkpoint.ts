// Resumable checkpoints: everything a run needs to continue to the same bits
// as a run never stopped. A checkpoint folder holds
// - checkpoint.json: the step reached, the rows of the stream consumed, the
//   seed everything random is derived from, the settings, the data's
//   SHA-256, the model's fingerprint, the per-step losses and lrs so far;
// - state.safetensors: the weights and both AdamW moments, float32, as
//   `weight.<name>`, `exp_avg.<name>`, `exp_avg_sq.<name>`.
// The shuffles and dropout masks are pure functions of (seed, step, micro
// index) (data/plan.ts), so the seed and the step are the whole RNG state.
// Written under a temporary name and renamed (atomic-dir.ts): a checkpoint
// interrupted while written leaves the previous one intact.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import { SafetensorsSource } from '../convert/safetensors.js';
import { makeTempDirBeside, publishDir } from './atomic-dir.js';
import type { ParameterSet } from './contract.js';
import type { AdamWState } from './optimize/adamw.js';
import { writeSafetensors, type TensorToWrite } from './output/safetensors.js';

export const CHECKPOINT_FORMAT = 'cappy-adapt-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface EvalSummary {
  rows: number;
  mse: number;
  spearman: number | null;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  /** Rows of the training stream consumed (the next step starts here). */
  dataPosition: number;
  rng: { seed: number; derivation: string };
  /** The resolved training settings (TRAINING_SETTINGS in lib/options/adapt.ts). */
  settings: Record<string, unknown>;
  /** How the run ran (threads, device): a resume with others is allowed but may differ in the last bits. */
  runtime: { threads: number; device: string };
  model: { ref: string; dir: string; fingerprint: string; weightsFrom: string };
  data: { path: string; sha256: string; rows: number };
  eval: { path: string; sha256: string; rows: number } | null;
  out: string;
  dtype: string[];
  losses: number[];
  lrs: number[];
  gradNorms: number[];
  evalBefore: EvalSummary | null;
  parameters: { name: string; shape: number[] }[];
  elapsedSeconds: number;
  savedAt: string;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  weights: ParameterSet;
  adam: AdamWState;
}

const STATE_FILE = 'state.safetensors';
const META_FILE = 'checkpoint.json';

export async function saveCheckpoint(dir: string, meta: CheckpointMeta, weights: ParameterSet, adam: AdamWState): Promise<void> {
  const tensors: TensorToWrite[] = [];
  for (const { name, shape } of meta.parameters) {
    tensors.push({ name: `weight.${name}`, shape, data: weights.get(name)! });
    tensors.push({ name: `exp_avg.${name}`, shape, data: adam.expAvg.get(name)! });
    tensors.push({ name: `exp_avg_sq.${name}`, shape, data: adam.expAvgSq.get(name)! });
  }
  const tmp = await makeTempDirBeside(dir, 'checkpoint');
  await writeSafetensors(join(tmp, STATE_FILE), tensors, { format: CHECKPOINT_FORMAT, step: String(meta.step) });
  await writeFile(join(tmp, META_FILE), JSON.stringify(meta, null, 1) + '\n');
  await publishDir(tmp, dir);
}

export async function readCheckpointMeta(dir: string): Promise<CheckpointMeta> {
  const path = join(dir, META_FILE);
  if (!existsSync(path)) throw new InvalidInputError(`--resume ${dir}: no ${META_FILE} there; it is not a cappy adapt checkpoint`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await readFile(path, 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new InvalidInputError(`--resume ${dir}: ${META_FILE} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (meta?.format !== CHECKPOINT_FORMAT || meta.version !== CHECKPOINT_VERSION) {
    throw new InvalidInputError(`--resume ${dir}: ${META_FILE} is not a version ${CHECKPOINT_VERSION} cappy adapt checkpoint`);
  }
  return meta;
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const meta = await readCheckpointMeta(dir);
  const source = await SafetensorsSource.open(join(dir, STATE_FILE));
  try {
    const weights: ParameterSet = new Map();
    const expAvg: ParameterSet = new Map();
    const expAvgSq: ParameterSet = new Map();
    for (const { name } of meta.parameters) {
      for (const [prefix, into] of [
        ['weight', weights],
        ['exp_avg', expAvg],
        ['exp_avg_sq', expAvgSq],
      ] as const) {
        if (!source.info(`${prefix}.${name}`)) throw new InvalidInputError(`--resume ${dir}: ${STATE_FILE} has no ${prefix}.${name}`);
        into.set(name, await source.read(`${prefix}.${name}`));
      }
    }
    return { meta, weights, adam: { step: meta.step, expAvg, expAvgSq } };
  } finally {
    await source.close();
  }
}
