// `cappy forge`: Cappy's graph (or a BERT cross-encoder's) with seeded random
// weights, written in the HF folder layout. The config says the weights are random, and everything that
// reports scores (Scorer.info, the CLI, the server) repeats it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import {
  BERT_SPECIAL_TOKENS_MAP,
  bertTokenizerConfigJson,
  modelConfigJson,
  SPECIAL_TOKENS_MAP,
  tokenizerConfigJson,
  type ForgedMark,
} from './hf-files.js';
import { isModelDType, MODEL_DTYPES, ONNX_FILE_NAMES, removeOtherDTypes, type ModelDType } from '../model/dtypes.js';
import type { Int8Options } from './precision.js';
import { isPreset, PRESETS, type Preset } from './presets.js';
import { lazyForgedWeight } from './random-weights.js';
import { buildRobertaGraph, robertaParameterShapes } from './roberta-graph.js';
import { buildForgedBertTokenizerJson, buildRobertaTokenizerJson } from './tokenizer-json.js';

export interface ForgeOptions {
  preset: Preset;
  seed: number;
  outDir: string;
  /** Force weights into onnx/model.onnx_data (default: only past 1 GiB, i.e. the large preset). */
  externalData?: boolean;
  /**
   * Graphs to write, one ONNX file each, all from the same weights:
   * fp32 onnx/model.onnx, fp16 onnx/model_fp16.onnx, int8 onnx/model_int8.onnx.
   * Default ['fp32'].
   */
  dtypes?: readonly ModelDType[];
  /** int8 graphs only: how quantized Linear layers are spelled (for measurements). */
  int8?: Partial<Int8Options>;
  /**
   * Progress while the weights are made and written (the long part: seconds
   * for base, about a minute for large). `done` and `total` are bytes.
   */
  onProgress?: (stage: 'weights', done: number, total: number) => void;
}

export interface ForgeResult {
  dir: string;
  /** Paths written, relative to `dir`. */
  files: string[];
  parameters: number;
  /** Bytes of weights in the ONNX models written, all dtypes together. */
  weightBytes: number;
  externalData: boolean;
}

export const FORGED_NOTE = 'random weights, not Cappy';

export async function forgeModel(options: ForgeOptions): Promise<ForgeResult> {
  const { preset, seed, outDir } = options;
  if (!isPreset(preset)) throw new InvalidInputError(`preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${String(preset)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new InvalidInputError(`seed must be an integer from 0 to 2^32-1, got ${String(seed)}`);
  if (typeof outDir !== 'string' || outDir === '') throw new InvalidInputError('outDir must be a folder path');
  const config = PRESETS[preset];
  const shapes = robertaParameterShapes(config);
  const parameters = [...shapes.values()].reduce((s, d) => s + d.reduce((a, b) => a * b, 1), 0);

  const dtypes = options.dtypes ?? ['fp32'];
  if (!Array.isArray(dtypes) || dtypes.length === 0 || !dtypes.every(isModelDType)) {
    throw new InvalidInputError(`dtypes must be a non-empty list of ${MODEL_DTYPES.join(', ')}, got ${JSON.stringify(dtypes)}`);
  }

  await mkdir(join(outDir, 'onnx'), { recursive: true });
  const mark: ForgedMark = { preset, seed, note: FORGED_NOTE };
  const onnxFiles: string[] = [];
  let weightBytes = 0;
  let external = false;
  // Lazy weights: each is made when the writer reaches it and dropped once
  // written, so forging large holds about one tensor, not 1.4 GB. Graphs are
  // built first so progress can count all their bytes as one total.
  const graphs = [...new Set(dtypes)].map((dtype) => {
    const graph = buildRobertaGraph(
      config,
      (name) => {
        const shape = shapes.get(name);
        if (!shape) throw new Error(`unknown parameter ${name}`);
        return lazyForgedWeight(seed, name, shape);
      },
      { dtype, int8: options.int8 },
    );
    graph.metadata('cappy_forged', JSON.stringify(mark));
    return { dtype, graph };
  });
  const total = graphs.reduce((s, { graph }) => s + graph.weightBytes, 0);
  for (const { dtype, graph } of graphs) {
    const file = `onnx/${ONNX_FILE_NAMES[dtype]}`;
    const before = weightBytes;
    const written = await graph.write(join(outDir, file), {
      externalData: options.externalData,
      onProgress: (done) => options.onProgress?.('weights', before + done, total),
    });
    onnxFiles.push(file);
    if (written.externalDataPath) onnxFiles.push(`${file}_data`);
    weightBytes += written.weightBytes;
    external ||= written.externalDataPath !== undefined;
  }

  await removeOtherDTypes(outDir, dtypes);

  const bert = config.family === 'bert';
  const files: [string, unknown][] = [
    ['config.json', modelConfigJson(config, mark)],
    ['tokenizer.json', bert ? buildForgedBertTokenizerJson(config.vocabSize) : buildRobertaTokenizerJson()],
    ['tokenizer_config.json', bert ? bertTokenizerConfigJson() : tokenizerConfigJson()],
    ['special_tokens_map.json', bert ? BERT_SPECIAL_TOKENS_MAP : SPECIAL_TOKENS_MAP],
  ];
  for (const [name, value] of files) await writeFile(join(outDir, name), JSON.stringify(value, null, 2) + '\n');
  const all = [...files.map(([n]) => n), ...onnxFiles];
  return { dir: outDir, files: all, parameters, weightBytes, externalData: external };
}
