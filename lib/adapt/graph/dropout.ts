// Dropout masks made in the graph from a counter-based hash, so they depend
// only on (seed, site, element index): a resumed run reproduces them bit for
// bit, and the backward pass reuses the forward's mask (it is one graph).
// ORT's Dropout and RandomUniform keep their generator inside the kernel
// with the seed fixed as an attribute, which allows neither.
//
// Per site k (embeddings, then per layer attention probs, attention output,
// FFN output, then the head's sites, in that order), for a tensor of N
// elements and M = ceil(N / 2):
//   a_k = mix(seed ^ SALT_k), m_k = mix(a_k ^ M_KEY) | 1   (a vector op over all sites)
//   h_j = mix(j * m_k + a_k)  for j < M                    (uint32, wrapping)
//   element i keeps when its 16-bit draw u_i >= round(p 2^16), where
//   u_i = h_i & 0xffff for i < M and h_(i-M) >> 16 for i >= M;
//   y = where(keep, x / (1 - p), 0)
// where `mix` is the lowbias32 integer finalizer (Chris Wellons'
// hash-prospector; bias 0.17), a bijection on uint32. For a fixed site,
// j -> h_j is a bijection too (m_k is odd); different sites differ in both
// multiplier and offset, not just a shift. Each hash gives two 16-bit draws,
// which halves the hashing (the largest mask is attention's [B, heads, S, S]);
// the keep probability is then 1 - round(p 2^16) / 2^16 (p = 0.1: 0.1000061).
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

/** The 16-bit keep threshold for drop probability p: a draw >= it keeps. */
export function keepThreshold(p: number): number {
  return Math.min(0xffff, Math.round(p * 0x10000));
}

/** The exact keep probability the graph uses for p. */
export function keepProbability(p: number): number {
  return 1 - keepThreshold(p) / 0x10000;
}

/** The mask bit the graph computes for element `index` of a site's `count` elements (tests mirror the graph with it). */
export function keeps(seed: number, site: number, index: number, count: number, p: number): boolean {
  const a = mix32((seed ^ siteSalt(site)) >>> 0);
  const m = (mix32((a ^ MULTIPLIER_KEY) >>> 0) | 1) >>> 0;
  const half = Math.ceil(count / 2);
  const j = index < half ? index : index - half;
  const h = mix32((Math.imul(j >>> 0, m) + a) >>> 0);
  const draw = index < half ? h & 0xffff : h >>> 16;
  return draw >= keepThreshold(p);
}

/** Emits the masks of one graph: the per-site keys first, then `apply` at each site. */
export class DropoutMasks {
  readonly #g: GraphBuilder;
  readonly #p: number;
  readonly #sites: number;
  readonly #keysA: string;
  readonly #keysM: string;
  readonly #index = new Map<string, { index: string; shape: string; count: string }>();
  readonly #u32 = new Map<number, string>();
  #next = 0;
  /** The keep mask (bool) of each site, in order (exposed by tests). */
  readonly masks: string[] = [];

  readonly #scale: string;
  readonly #zero: string;

  constructor(g: GraphBuilder, p: number, sites: number) {
    this.#g = g;
    this.#p = p;
    this.#sites = sites;
    this.#scale = g.float([1 / (1 - p)], true);
    this.#zero = g.float([0], true);
    const seed = g.input('dropout_seed', DataType.UINT32, []);
    const salts = g.initializer(
      'dropout_salts',
      [sites],
      Uint32Array.from({ length: sites }, (_, k) => siteSalt(k)),
    );
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

  /** For tensors shaped like `x` (one set per distinct `shapeKey`): the hash counter 0..M-1 as uint32, and x's shape and size. */
  #counter(x: string, shapeKey: string): { index: string; shape: string; count: string } {
    let c = this.#index.get(shapeKey);
    if (!c) {
      const g = this.#g;
      const shape = g.node('Shape', [x]);
      const count = g.node('ReduceProd', [shape], { keepdims: 0 });
      const half = g.node('Div', [g.node('Add', [count, g.int64([1], true)]), g.int64([2], true)]);
      const range = g.node('Range', [g.int64([0], true), half, g.int64([1], true)]);
      c = {
        index: g.node('Cast', [range], { to: DataType.UINT32 }, { hint: 'dropout_index' }),
        shape,
        count: g.node('Unsqueeze', [count, g.int64([0])]),
      };
      this.#index.set(shapeKey, c);
    }
    return c;
  }

  /** x times the next site's mask; `shapeKey` names x's shape (tensors of one key share the counter). */
  apply(x: string, shapeKey: string): string {
    const g = this.#g;
    const k = this.#next++;
    if (k >= this.#sites) throw new Error(`more dropout sites than the ${this.#sites} planned`);
    const { index, shape, count } = this.#counter(x, shapeKey);
    const at = g.int64([k], true);
    const a = g.node('Gather', [this.#keysA, at]);
    const m = g.node('Gather', [this.#keysM, at]);
    const h = this.#mix(g.node('Add', [g.node('Mul', [index, m]), a]));
    const threshold = this.#const(keepThreshold(this.#p));
    const low = g.node('GreaterOrEqual', [g.node('BitwiseAnd', [h, this.#const(0xffff)]), threshold]);
    const high = g.node('GreaterOrEqual', [g.node('BitShift', [h, this.#const(16)], { direction: 'RIGHT' }), threshold]);
    const both = g.node('Concat', [low, high], { axis: 0 });
    const keep = g.node('Reshape', [g.node('Slice', [both, g.int64([0]), count]), shape], {}, { hint: `dropout_keep_${k}` });
    this.masks.push(keep);
    // Where(keep, x / (1 - p), 0): the backward needs only the bool mask
    // (1 byte an element), not a float one.
    return g.node('Where', [keep, g.node('Mul', [x, this.#scale]), this.#zero]);
  }

  /** Checks every planned site got a mask. */
  finish(): void {
    if (this.#next !== this.#sites) throw new Error(`planned ${this.#sites} dropout sites, made ${this.#next}`);
  }
}
