// Seeded random weights in HF's init style: normal(0, 0.02) for matrices and
// embeddings. LayerNorm scales and all biases are perturbed too (HF inits
// them to exactly 1 and 0), so tests exercise every parameter. The head is
// drawn wider (0.5) so forged logits spread over ~±1 like a trained Cappy's;
// with HF's 0.02 they would sit near 1e-3 and an absolute tolerance of 1e-5
// would check little.
import { robertaParameterShapes, type RobertaConfig, type Weight } from './roberta-graph.js';

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

/** Seed per parameter, so one weight does not depend on the order others are made in. */
function seedFor(seed: number, name: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function randomWeight(seed: number, name: string, shape: number[]): Weight {
  const rng = new Rng(seedFor(seed, name));
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const isNorm = name.includes('LayerNorm');
  const isBias = name.endsWith('.bias');
  const std = name.startsWith('classifier.') ? 0.5 : 0.02;
  for (let i = 0; i < data.length; i++) {
    const n = rng.normal() * std;
    data[i] = isNorm && !isBias ? 1 + n : n;
  }
  return { shape, data };
}

/** Every parameter of a forged model, by HF PyTorch name (made on demand, cached). */
export function forgedWeights(config: RobertaConfig, seed: number): Map<string, Weight> {
  const out = new Map<string, Weight>();
  for (const [name, shape] of robertaParameterShapes(config)) out.set(name, randomWeight(seed, name, shape));
  return out;
}
