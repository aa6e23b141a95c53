// Dropout masks made in the graph from a counter-based hash, so they depend
// only on (seed, site, element index): a resumed run reproduces them bit for
// bit, and the backward pass reuses the forward's mask (it is one graph).
// ORT's Dropout and RandomUniform keep their generator inside the kernel
// with the seed fixed as an attribute, which allows neither.
//
// Per site k (embeddings, then per layer attention probs, attention output,
// FFN output, then the head's sites, in that order):
//   a_k = mix(seed ^ SALT_k), m_k = mix(a_k ^ M) | 1     (a vector op over all sites)
//   h   = mix(index * m_k + a_k)                           (uint32, wrapping)
//   keep = h >= round(p 2^32), mask = keep / (1 - p)
// where `mix` is the lowbias32 integer finalizer (Chris Wellons' hash-prospector;
// bias 0.17), a bijection on uint32. For a fixed site, index -> h is a
// bijection too (m_k is odd), so no two elements of a mask share a draw;
// different sites differ in both multiplier and offset, not just a shift.
import type { GraphBuilder } from '../../forge/onnx/graph-builder.js';
import { DataType } from '../../forge/onnx/schema.js';

const MIX_1 = 0x7feb352d;
const MIX_2 = 0x846ca68b;
/** Site salts: mix(k + SALT_BASE). */
const SALT_BASE = 0x9e3779b9;
/** Keys the multiplier apart from the offset. */
const MULTIPLIER_KEY = 0x85ebca6b;

/** lowbias32, as the graph computes it. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, MIX_1) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, MIX_2) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function siteSalt(site: number): number {
  return mix32((site + SALT_BASE) >>> 0);
}

/** The keep threshold for drop probability p: h >= it keeps. */
export function keepThreshold(p: number): number {
  return Math.min(2 ** 32 - 1, Math.round(p * 2 ** 32));
}

/** The mask bit the graph computes for element `index` of site `site` (tests mirror the graph with it). */
export function keeps(seed: number, site: number, index: number, p: number): boolean {
  const a = mix32((seed ^ siteSalt(site)) >>> 0);
  const m = (mix32((a ^ MULTIPLIER_KEY) >>> 0) | 1) >>> 0;
  return mix32((Math.imul(index >>> 0, m) + a) >>> 0) >= keepThreshold(p);
}

/** Emits the masks of one graph: the per-site keys first, then `apply` at each site. */
export class DropoutMasks {
  readonly #g: GraphBuilder;
  readonly #p: number;
  readonly #sites: number;
  readonly #keysA: string;
  readonly #keysM: string;
  readonly #index = new Map<string, string>();
  readonly #u32 = new Map<number, string>();
  #next = 0;
  /** The mask tensor of each site, in order (exposed by tests). */
  readonly masks: string[] = [];

  constructor(g: GraphBuilder, p: number, sites: number) {
    this.#g = g;
    this.#p = p;
    this.#sites = sites;
    const seed = g.input('dropout_seed', DataType.UINT32, []);
    const salts = g.initializer('dropout_salts', [sites], Uint32Array.from({ length: sites }, (_, k) => siteSalt(k)));
    this.#keysA = this.#mix(g.node('BitwiseXor', [seed, salts]));
    this.#keysM = g.node('BitwiseOr', [this.#mix(g.node('BitwiseXor', [this.#keysA, this.#const(MULTIPLIER_KEY)])), this.#const(1)]);
  }

  #const(v: number): string {
    let name = this.#u32.get(v);
    if (!name) {
      name = this.#g.initializer(`dropout_u32_${v}`, [], Uint32Array.of(v));
      this.#u32.set(v, name);
    }
    return name;
  }

  #mix(x: string): string {
    const g = this.#g;
    const xorShift = (v: string, s: number) => g.node('BitwiseXor', [v, g.node('BitShift', [v, this.#const(s)], { direction: 'RIGHT' })]);
    const a = g.node('Mul', [xorShift(x, 16), this.#const(MIX_1)]);
    const b = g.node('Mul', [xorShift(a, 15), this.#const(MIX_2)]);
    return xorShift(b, 16);
  }

  /** uint32 element indices shaped like `x`, one tensor per distinct `shapeKey`. */
  #indices(x: string, shapeKey: string): string {
    let idx = this.#index.get(shapeKey);
    if (!idx) {
      const g = this.#g;
      const shape = g.node('Shape', [x]);
      const count = g.node('ReduceProd', [shape], { keepdims: 0 });
      const range = g.node('Range', [g.int64([0], true), count, g.int64([1], true)]);
      idx = g.node('Reshape', [g.node('Cast', [range], { to: DataType.UINT32 }), shape], {}, { hint: 'dropout_index' });
      this.#index.set(shapeKey, idx);
    }
    return idx;
  }

  /** x times the next site's mask; `shapeKey` names x's shape (tensors of one key share the index). */
  apply(x: string, shapeKey: string): string {
    const g = this.#g;
    const k = this.#next++;
    if (k >= this.#sites) throw new Error(`more dropout sites than the ${this.#sites} planned`);
    const at = g.int64([k], true);
    const a = g.node('Gather', [this.#keysA, at]);
    const m = g.node('Gather', [this.#keysM, at]);
    const h = this.#mix(g.node('Add', [g.node('Mul', [this.#indices(x, shapeKey), m]), a]));
    const keep = g.node('GreaterOrEqual', [h, this.#const(keepThreshold(this.#p))]);
    const mask = g.node('Where', [keep, g.float([1 / (1 - this.#p)], true), g.float([0], true)], {}, { hint: `dropout_mask_${k}` });
    this.masks.push(mask);
    return g.node('Mul', [x, mask]);
  }

  /** Checks every planned site got a mask. */
  finish(): void {
    if (this.#next !== this.#sites) throw new Error(`planned ${this.#sites} dropout sites, made ${this.#next}`);
  }
}
