// An independent, naive forward pass of RobertaForSequenceClassification,
// written from HF's modeling code semantics (not from the forge's graph), in
// float64. Slow; meant for tiny models in tests.
import type { RobertaConfig, Weight } from '../../lib/forge/index.js';

/** erf by its Taylor series (|x| <= 4; beyond that erf is ±1 to 1.6e-8). */
export function erf(x: number): number {
  if (x > 4) return 1;
  if (x < -4) return -1;
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

type Vec = Float64Array;

function linear(x: Vec, w: Weight, b: Weight): Vec {
  const [out, inp] = w.shape; // PyTorch layout: [out, in]
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b.data[o];
    for (let i = 0; i < inp; i++) s += w.data[o * inp + i] * x[i];
    y[o] = s;
  }
  return y;
}

function layerNorm(x: Vec, g: Weight, b: Weight, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * inv * g.data[i] + b.data[i]);
}

/** Logit 0 for one unpadded row of ids (attention over all of them). */
export function referenceLogit(c: RobertaConfig, W: Map<string, Weight>, ids: number[], mask?: number[]): number {
  const w = (n: string) => {
    const v = W.get(n);
    if (!v) throw new Error(`missing ${n}`);
    return v;
  };
  const H = c.hidden;
  const m = mask ?? ids.map(() => 1);
  // create_position_ids_from_input_ids: count non-pad tokens, offset by pad.
  let count = 0;
  const positions = ids.map((id) => (id !== c.padId ? ++count + c.padId : c.padId));
  const we = w('roberta.embeddings.word_embeddings.weight');
  const pe = w('roberta.embeddings.position_embeddings.weight');
  const te = w('roberta.embeddings.token_type_embeddings.weight');
  let x: Vec[] = ids.map((id, t) => {
    const e = new Float64Array(H);
    for (let h = 0; h < H; h++) e[h] = we.data[id * H + h] + pe.data[positions[t] * H + h] + te.data[h];
    return layerNorm(e, w('roberta.embeddings.LayerNorm.weight'), w('roberta.embeddings.LayerNorm.bias'), c.layerNormEps);
  });
  const d = H / c.heads;
  const minF = -3.4028234663852886e38;
  for (let l = 0; l < c.layers; l++) {
    const p = `roberta.encoder.layer.${l}`;
    const q = x.map((v) => linear(v, w(`${p}.attention.self.query.weight`), w(`${p}.attention.self.query.bias`)));
    const k = x.map((v) => linear(v, w(`${p}.attention.self.key.weight`), w(`${p}.attention.self.key.bias`)));
    const v = x.map((u) => linear(u, w(`${p}.attention.self.value.weight`), w(`${p}.attention.self.value.bias`)));
    const ctx = x.map(() => new Float64Array(H));
    for (let h = 0; h < c.heads; h++) {
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let s = 0;
          for (let e = 0; e < d; e++) s += q[i][h * d + e] * k[j][h * d + e];
          return s / Math.sqrt(d) + (1 - m[j]) * minF;
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const z = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j < x.length; j++) {
          const pj = exps[j] / z;
          for (let e = 0; e < d; e++) ctx[i][h * d + e] += pj * v[j][h * d + e];
        }
      }
    }
    const attended = x.map((xi, i) => {
      const o = linear(ctx[i], w(`${p}.attention.output.dense.weight`), w(`${p}.attention.output.dense.bias`));
      return layerNorm(o.map((val, h) => val + xi[h]), w(`${p}.attention.output.LayerNorm.weight`), w(`${p}.attention.output.LayerNorm.bias`), c.layerNormEps);
    });
    x = attended.map((a) => {
      const inter = linear(a, w(`${p}.intermediate.dense.weight`), w(`${p}.intermediate.dense.bias`)).map(
        (u) => 0.5 * u * (1 + erf(u / Math.SQRT2)),
      );
      const o = linear(inter, w(`${p}.output.dense.weight`), w(`${p}.output.dense.bias`));
      return layerNorm(o.map((val, h) => val + a[h]), w(`${p}.output.LayerNorm.weight`), w(`${p}.output.LayerNorm.bias`), c.layerNormEps);
    });
  }
  const dense = linear(x[0], w('classifier.dense.weight'), w('classifier.dense.bias')).map(Math.tanh);
  return linear(dense, w('classifier.out_proj.weight'), w('classifier.out_proj.bias'))[0];
}
