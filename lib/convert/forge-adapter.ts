// The one place the converter meets the forge's graph builder, so a change in
// the builder's signature touches this file only.
import { buildRobertaGraph, type RobertaConfig, type Weight } from '../forge/roberta-graph.js';
import type { ModelDType } from '../model/dtypes.js';
import type { EncoderConfig, MappedWeights } from './architecture.js';

export interface BuildOptions {
  dtype: ModelDType;
  optimize: boolean;
  /** Bytes of weights written so far, of the total. */
  onProgress?: (written: number, total: number) => void;
}

export interface BuilderCapabilities {
  dtypes: readonly ModelDType[];
  optimize: boolean;
}

/**
 * The forge's builder writes fp32, fp16 and int8 graphs (docs/dtypes.md). It
 * has no fused-op (--optimize) variant: ORT fuses at load time anyway.
 */
export function builderCapabilities(): BuilderCapabilities {
  return { dtypes: ['fp32', 'fp16', 'int8'], optimize: false };
}

export function toRobertaConfig(c: EncoderConfig): RobertaConfig {
  return {
    family: c.family,
    vocabSize: c.vocabSize,
    hidden: c.hiddenSize,
    layers: c.numLayers,
    heads: c.numHeads,
    intermediate: c.intermediateSize,
    maxPositions: c.maxPositions,
    padId: c.padTokenId,
    layerNormEps: c.layerNormEps,
    typeVocabSize: c.typeVocabSize,
    numLabels: c.numLabels,
  };
}

/**
 * Builds onnx/model.onnx from the checkpoint. The builder asks for weights
 * synchronously, so they are read ahead; each is dropped from our map once
 * handed over, so peak memory is about one copy of the model (the builder's)
 * rather than two. Past 1 GiB the builder writes model.onnx_data beside it.
 */
export async function buildOnnx(
  config: EncoderConfig,
  weights: MappedWeights,
  onnxPath: string,
  opts: BuildOptions,
): Promise<{ externalDataPath?: string }> {
  const loaded = await weights.loadAll();
  const graph = buildRobertaGraph(
    toRobertaConfig(config),
    (name): Weight => {
      const data = loaded.get(name);
      if (!data) throw new Error(`the graph asked for ${name}, which the converter did not map`);
      loaded.delete(name);
      return { shape: weights.shape(name), data };
    },
    { dtype: opts.dtype },
  );
  const { externalDataPath } = await graph.write(onnxPath, { onProgress: opts.onProgress });
  return { externalDataPath };
}
