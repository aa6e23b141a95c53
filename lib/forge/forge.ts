// `cappy forge`: Cappy's graph with seeded random weights, written in the HF
// folder layout. The config says the weights are random, and everything that
// reports scores (Scorer.info, the CLI, the server) repeats it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import { robertaConfigJson, SPECIAL_TOKENS_MAP, tokenizerConfigJson } from './hf-files.js';
import { isPreset, PRESETS, type Preset } from './presets.js';
import { randomWeight } from './random-weights.js';
import { buildRobertaGraph, robertaParameterShapes } from './roberta-graph.js';
import { buildRobertaTokenizerJson } from './tokenizer-json.js';

export interface ForgeOptions {
  preset: Preset;
  seed: number;
  outDir: string;
  /** Force weights into onnx/model.onnx_data (default: only past 1 GiB). */
  externalData?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface ForgeResult {
  dir: string;
  files: string[];
  parameters: number;
}

export async function forgeModel(options: ForgeOptions): Promise<ForgeResult> {
  const { preset, seed, outDir } = options;
  if (!isPreset(preset)) throw new InvalidInputError(`preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${String(preset)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InvalidInputError(`seed must be an integer from 0 to 2^32-1, got ${String(seed)}`);
  if (typeof outDir !== 'string' || outDir === '') throw new InvalidInputError('outDir must be a folder path');
  const config = PRESETS[preset];
  const shapes = robertaParameterShapes(config);
  const parameters = [...shapes.values()].reduce((s, d) => s + d.reduce((a, b) => a * b, 1), 0);

  await mkdir(join(outDir, 'onnx'), { recursive: true });
  // Weights are made as the graph asks for them, so only the builder's copy
  // of each stays in memory.
  let made = 0;
  const graph = buildRobertaGraph(config, (name) => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`unknown parameter ${name}`);
    const w = randomWeight(seed, name, shape);
    made += w.data.length;
    options.onProgress?.('weights', made, parameters);
    return w;
  });
  const modelPath = join(outDir, 'onnx', 'model.onnx');
  const written = await graph.write(modelPath, {
    externalData: options.externalData,
    onProgress: (done, total) => options.onProgress?.('write', done, total),
  });

  const mark = { preset, seed, note: 'random weights, not Cappy' };
  const files: [string, unknown][] = [
    ['config.json', robertaConfigJson(config, mark)],
    ['tokenizer.json', buildRobertaTokenizerJson()],
    ['tokenizer_config.json', tokenizerConfigJson()],
    ['special_tokens_map.json', SPECIAL_TOKENS_MAP],
  ];
  for (const [name, value] of files) await writeFile(join(outDir, name), JSON.stringify(value, null, 2) + '\n');
  const all = [...files.map(([n]) => n), 'onnx/model.onnx'];
  if (written.externalDataPath) all.push('onnx/model.onnx_data');
  return { dir: outDir, files: all, parameters };
}
