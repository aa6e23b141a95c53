// The one place the converter meets the forge's graph builder, so a change in
// the builder's signature touches this file only.
import { ModelLoadError } from '../errors/index.js';
import type { EncoderConfig, MappedWeights } from './architecture.js';

export interface BuildOptions {
  dtype: 'fp32' | 'fp16';
  optimize: boolean;
}

export interface BuilderCapabilities {
  available: boolean;
  fp16: boolean;
  optimize: boolean;
}

// Until the forge's builder lands, conversion stops here with a clear message.
// The specifier is a variable so the type checker does not require the module.
const FORGE = '../forge/index.js';

async function loadForge(): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(FORGE)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function builderCapabilities(): Promise<BuilderCapabilities> {
  const forge = await loadForge();
  return { available: typeof forge?.buildRobertaOnnx === 'function', fp16: false, optimize: false };
}

export async function buildOnnx(
  config: EncoderConfig,
  weights: MappedWeights,
  onnxPath: string,
  opts: BuildOptions,
): Promise<void> {
  const forge = await loadForge();
  const build = forge?.buildRobertaOnnx as
    | ((c: EncoderConfig, w: MappedWeights, path: string, o: BuildOptions) => Promise<void>)
    | undefined;
  if (!build) throw new ModelLoadError('the forge graph builder is not available in this build');
  await build(config, weights, onnxPath, opts);
}
