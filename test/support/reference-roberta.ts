// An independent, naive forward pass of RobertaForSequenceClassification,
// written from the semantics of HF's modeling_roberta.py (not from the
// forge's graph), in float64, one row at a time. Slow; for tiny models.
//
// `Mistake` switches on one plausible bug at a time. Tests use them as
// negative controls: each must move the logits by far more than the
// tolerance, or a passing comparison would prove nothing about that part.
import type { RobertaConfig, Weight } from '../../lib/forge/index.js';

export type Mistake =
  | 'tanh-gelu' // GELU by its tanh approximation instead of erf
  | 'no-mask' // attend to padding
  | 'unscaled-scores' // forget the 1/sqrt(head_dim)
  | 'positions-from-zero' // arange positions instead of create_position_ids_from_input_ids
  | 'no-token-type' // leave out token_type_embeddings[0]
  | 'pre-ln'; // LayerNorm before each sublayer instead of after the residual

/** erf by its Taylor series (|x| <= 4; beyond that erf is ±1 within 1.6e-8). */
export function erf(x: number): number {
  if (x > 4) return 1;
  if (x < -4) return -1;
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export type Vec = Float64Array;

export function linear(x: Vec, w: Weight, b: Weight): Vec {
  const [out, inp] = w.shape; // PyTorch layout: [out, in], y = x W^T + b
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b.data[o];
    for (let i = 0; i < inp; i++) s += w.data[o * inp + i] * x[i];
    y[o] = s;
  }
  return y;
}

export function layerNorm(x: Vec, g: Weight, b: Weight, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let variance = 0; // biased, as torch.nn.LayerNorm
  for (const v of x) variance += (v - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * inv * g.data[i] + b.data[i]);
}

function add(a: Vec, b: Vec): Vec {
  return a.map((v, i) => v + b[i]);
}

function gelu(u: number, mistake?: Mistake): number {
  if (mistake === 'tanh-gelu') return 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  return 0.5 * u * (1 + erf(u / Math.SQRT2)); // ACT2FN['gelu'] is the exact erf form
}

/**
 * Logit 0 for one row. `mask` defaults to all ones; padded rows pass their
 * pad ids and zeros in the mask, as a tokenizer with padding gives them.
 */
export function referenceLogit(c: RobertaConfig, W: Map<string, Weight>, ids: number[], mask?: number[], mistake?: Mistake): number {
  const w = (n: string) => {
    const v = W.get(n);
    if (!v) throw new Error(`missing ${n}`);
    return v;
  };
  const H = c.hidden;
  const eps = c.layerNormEps;
  const m = mask ?? ids.map(() => 1);
  // create_position_ids_from_input_ids: cumsum of (id != pad) * (id != pad) + pad.
  let count = 0;
  const positions = ids.map((id, t) => {
    if (mistake === 'positions-from-zero') return t;
    return id !== c.padId ? ++count + c.padId : c.padId;
  });
  const we = w('roberta.embeddings.word_embeddings.weight');
  const pe = w('roberta.embeddings.position_embeddings.weight');
  const te = w('roberta.embeddings.token_type_embeddings.weight');
  const typeScale = mistake === 'no-token-type' ? 0 : 1;
  let x: Vec[] = ids.map((id, t) => {
    const e = new Float64Array(H);
    for (let h = 0; h < H; h++) e[h] = we.data[id * H + h] + pe.data[positions[t] * H + h] + typeScale * te.data[h];
    return layerNorm(e, w('roberta.embeddings.LayerNorm.weight'), w('roberta.embeddings.LayerNorm.bias'), eps);
  });
  x = referenceEncoder(c, w, 'roberta', x, m, mistake);
  // RobertaClassificationHead: features[:, 0] -> dense -> tanh -> out_proj.
  const dense = linear(x[0], w('classifier.dense.weight'), w('classifier.dense.bias')).map(Math.tanh);
  return linear(dense, w('classifier.out_proj.weight'), w('classifier.out_proj.bias'))[0];
}

/**
 * The encoder layers (RobertaLayer is a copy of BertLayer): post-LN
 * self-attention with the additive mask, then the erf-GELU feed-forward.
 * `x` holds one embedded vector per token; `prefix` is roberta or bert.
 */
export function referenceEncoder(
  c: { hidden: number; heads: number; layers: number; layerNormEps: number },
  w: (name: string) => Weight,
  prefix: string,
  input: Vec[],
  m: number[],
  mistake?: Mistake,
): Vec[] {
  const H = c.hidden;
  const eps = c.layerNormEps;
  let x = input;
  const d = H / c.heads;
  // The extended attention mask: (1 - mask) * torch.finfo(float32).min.
  const minF = -3.4028234663852886e38;
  const scale = mistake === 'unscaled-scores' ? 1 : 1 / Math.sqrt(d);
  for (let l = 0; l < c.layers; l++) {
    const p = `${prefix}.encoder.layer.${l}`;
    const ln = (v: Vec, name: string) => layerNorm(v, w(`${p}.${name}.LayerNorm.weight`), w(`${p}.${name}.LayerNorm.bias`), eps);
    const preLn = mistake === 'pre-ln';
    const xin = preLn ? x.map((v) => ln(v, 'attention.output')) : x;
    const q = xin.map((v) => linear(v, w(`${p}.attention.self.query.weight`), w(`${p}.attention.self.query.bias`)));
    const k = xin.map((v) => linear(v, w(`${p}.attention.self.key.weight`), w(`${p}.attention.self.key.bias`)));
    const v = xin.map((u) => linear(u, w(`${p}.attention.self.value.weight`), w(`${p}.attention.self.value.bias`)));
    const ctx = x.map(() => new Float64Array(H));
    for (let h = 0; h < c.heads; h++) {
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let s = 0;
          for (let e = 0; e < d; e++) s += q[i][h * d + e] * k[j][h * d + e];
          return s * scale + (mistake === 'no-mask' ? 0 : (1 - m[j]) * minF);
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
    const attnOut = ctx.map((cv) => linear(cv, w(`${p}.attention.output.dense.weight`), w(`${p}.attention.output.dense.bias`)));
    // RobertaSelfOutput: LayerNorm(dense(ctx) + input); RobertaOutput likewise.
    const attended = x.map((xi, i) => (preLn ? add(attnOut[i], xi) : ln(add(attnOut[i], xi), 'attention.output')));
    x = attended.map((a) => {
      const fin = preLn ? ln(a, 'output') : a;
      const inter = linear(fin, w(`${p}.intermediate.dense.weight`), w(`${p}.intermediate.dense.bias`)).map((u) => gelu(u, mistake));
      const o = linear(inter, w(`${p}.output.dense.weight`), w(`${p}.output.dense.bias`));
      return preLn ? add(o, a) : ln(add(o, a), 'output');
    });
  }
  return x;
}

/** Logits for a padded batch: rows of ids (pad id where mask is 0) and their masks. */
export function referenceLogits(c: RobertaConfig, W: Map<string, Weight>, ids: number[][], masks: number[][], mistake?: Mistake): number[] {
  return ids.map((row, i) => referenceLogit(c, W, row, masks[i], mistake));
}
