// The one place the converter meets the forge's graph builder, so a change in
// the builder's signature touches this file only.
import { buildRobertaGraph, type RobertaConfig, type Weight } from '../forge/roberta-graph.js';
import type { EncoderConfig, MappedWeights } from './architecture.js';

export interface BuildOptions {
  dtype: 'fp32' | 'fp16';
  optimize: boolean;
  /** Bytes of weights written so far, of the total. */
  onProgress?: (written: number, total: number) => void;
}

export interface BuilderCapabilities {
  fp16: boolean;
  optimize: boolean;
}

/** The forge's builder emits fp32 graphs of plain ONNX ops (no fp16, no fused contrib ops) today. */
export function builderCapabilities(): BuilderCapabilities {
  return { fp16: false, optimize: false };
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
  const graph = buildRobertaGraph(toRobertaConfig(config), (name): Weight => {
    const data = loaded.get(name);
    if (!data) throw new Error(`the graph asked for ${name}, which the converter did not map`);
    loaded.delete(name);
    return { shape: weights.shape(name), data };
  });
  const { externalDataPath } = await graph.write(onnxPath, { onProgress: opts.onProgress });
  return { externalDataPath };
}
