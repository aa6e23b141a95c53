// Finding and opening the weights in an HF model folder. The order is
// safetensors, then pytorch_model.bin, then flax_model.msgpack: safetensors
// needs no unpickling at all, and the torch file is the one HF writes by
// default. Sharded checkpoints (*.index.json with a weight_map) open every
// shard and present them as one source.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ModelLoadError } from '../errors/index.js';
import { FlaxSource } from './flax.js';
import { SafetensorsSource } from './safetensors.js';
import type { CheckpointFormat, TensorInfo, WeightSource } from './source.js';
import { TorchBinSource } from './torch-bin.js';

export const WEIGHT_FILES: { file: string; format: CheckpointFormat; sharded: boolean }[] = [
  { file: 'model.safetensors', format: 'safetensors', sharded: false },
  { file: 'model.safetensors.index.json', format: 'safetensors', sharded: true },
  { file: 'pytorch_model.bin', format: 'pytorch', sharded: false },
  { file: 'pytorch_model.bin.index.json', format: 'pytorch', sharded: true },
  { file: 'flax_model.msgpack', format: 'flax', sharded: false },
  { file: 'flax_model.msgpack.index.json', format: 'flax', sharded: true },
];

export function openWeightFile(path: string, format: CheckpointFormat): Promise<WeightSource> {
  switch (format) {
    case 'safetensors':
      return SafetensorsSource.open(path);
    case 'pytorch':
      return TorchBinSource.open(path);
    case 'flax':
      return FlaxSource.open(path);
  }
}

/** Which weights file a folder would be converted from, or undefined. */
export function findWeightFile(dir: string, prefer?: CheckpointFormat) {
  const candidates = prefer ? WEIGHT_FILES.filter((w) => w.format === prefer) : WEIGHT_FILES;
  return candidates.find((w) => existsSync(join(dir, w.file)));
}

export async function openCheckpoint(dir: string, prefer?: CheckpointFormat): Promise<WeightSource> {
  const abs = resolve(dir);
  const found = findWeightFile(abs, prefer);
  if (!found) {
    const names = (prefer ? WEIGHT_FILES.filter((w) => w.format === prefer) : WEIGHT_FILES).map((w) => w.file);
    throw new ModelLoadError(`no weights in ${abs} (looked for ${names.join(', ')})`);
  }
  const path = join(abs, found.file);
  return found.sharded ? ShardedSource.open(path, found.format) : openWeightFile(path, found.format);
}

/** Several shard files behind one WeightSource. */
export class ShardedSource implements WeightSource {
  private readonly owner = new Map<string, WeightSource>();

  private constructor(
    readonly path: string,
    readonly format: CheckpointFormat,
    private readonly shards: WeightSource[],
  ) {
    for (const s of shards) {
      for (const t of s.list()) {
        if (this.owner.has(t.name)) throw new ModelLoadError(`${path}: ${t.name} appears in more than one shard`);
        this.owner.set(t.name, s);
      }
    }
  }

  static async open(indexPath: string, format: CheckpointFormat): Promise<ShardedSource> {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8')) as typeof index;
    } catch (e) {
      throw new ModelLoadError(`${indexPath} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    const files = [...new Set(Object.values(index.weight_map ?? {}))];
    if (files.length === 0) throw new ModelLoadError(`${indexPath} has an empty weight_map`);
    const shards: WeightSource[] = [];
    try {
      for (const f of files) {
        // Shard names come from the file; keep them inside the folder.
        if (f.includes('/') || f.includes('\\') || f.startsWith('.')) {
          throw new ModelLoadError(`${indexPath}: shard name ${JSON.stringify(f)} is not a plain file name`);
        }
        shards.push(await openWeightFile(join(dirname(indexPath), f), format));
      }
      return new ShardedSource(indexPath, format, shards);
    } catch (e) {
      await Promise.all(shards.map((s) => s.close()));
      throw e;
    }
  }

  list(): TensorInfo[] {
    return this.shards.flatMap((s) => s.list());
  }

  info(name: string): TensorInfo | undefined {
    return this.owner.get(name)?.info(name);
  }

  read(name: string): Promise<Float32Array> {
    const s = this.owner.get(name);
    if (!s) throw new ModelLoadError(`${this.path}: no tensor named ${name}`);
    return s.read(name);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
