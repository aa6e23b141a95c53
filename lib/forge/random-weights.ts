// Seeded random weights for forged models.
//
// Embeddings are normal(0, 0.02) as HF initialises them. Linear weights are
// normal(0, 1/sqrt(fan_in)) instead of HF's flat 0.02: for large (fan_in
// 1024) that is 0.031, close to HF, but for tiny (fan_in 32) 0.02 leaves
// attention uniform and GELU in its linear range, and then a graph with the
// wrong GELU, no score scaling or a broken mask lands within 1e-4 of the
// right one (measured: tanh-GELU moved tiny's logit by 1e-7). With 1/sqrt(fan_in)
// every layer works in its nonlinear range, like a trained model's, and
// forged scores depend on the input.
// LayerNorm scales are 1 + N(0, 0.02) and every bias is N(0, 0.02) (HF uses
// exactly 1 and 0), so a graph that dropped one would be caught.
import { PRESETS, type Preset } from './presets.js';
import { robertaParameterShapes, type LazyWeight, type RobertaConfig, type Weight } from './roberta-graph.js';

/** Deterministic 32-bit generator (splitmix32 steps): same seed, same weights, on every platform. */
class Rng {
  #state: number;
  #spare: number | undefined;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  uniform(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296; // in (0, 1): safe for log()
  }
  /** Standard normal by Box-Muller, using both outputs. */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

/** Seed per parameter (FNV-1a of the name), so one weight does not depend on the order others are made in. */
function seedFor(seed: number, name: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function initFor(name: string, shape: number[]): { mean: number; std: number } {
  if (name.endsWith('.bias')) return { mean: 0, std: 0.02 };
  if (name.includes('LayerNorm')) return { mean: 1, std: 0.02 };
  if (name.includes('embeddings')) return { mean: 0, std: 0.02 };
  return { mean: 0, std: 1 / Math.sqrt(shape[1]) }; // Linear [out, in]
}

export function randomWeight(seed: number, name: string, shape: number[]): Weight {
  const rng = new Rng(seedFor(seed, name));
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const { mean, std } = initFor(name, shape);
  for (let i = 0; i < data.length; i++) data[i] = mean + rng.normal() * std;
  return { shape, data };
}

function configOf(model: Preset | RobertaConfig): RobertaConfig {
  return typeof model === 'string' ? PRESETS[model] : model;
}

/** One forged parameter at a time, by HF PyTorch name: for writers that stream (the large preset is 1.4 GB). */
export function* forgedWeightEntries(model: Preset | RobertaConfig, seed: number): Generator<[string, Weight]> {
  for (const [name, shape] of robertaParameterShapes(configOf(model))) yield [name, randomWeight(seed, name, shape)];
}

/** Every parameter of a forged model, by HF PyTorch name (Linear weights [out, in], as PyTorch). */
export function forgedWeights(model: Preset | RobertaConfig, seed: number): Map<string, Weight> {
  return new Map(forgedWeightEntries(model, seed));
}

/** The same weights as forgedWeights, made only when asked for (the graph builder's source for the forge). */
export function lazyForgedWeight(seed: number, name: string, shape: number[]): LazyWeight {
  return { shape, load: () => randomWeight(seed, name, shape).data };
}
