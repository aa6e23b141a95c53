// RobertaForSequenceClassification as an ONNX graph, with HF's semantics,
// from a config and weights keyed by HF PyTorch parameter names. The forge
// feeds it seeded random weights; the converter feeds it real checkpoints.
//
//   position ids   cumsum(input_ids != pad) * (input_ids != pad) + pad
//   embeddings     word + position + token_type[0], then LayerNorm
//   encoder        post-LN layers: self-attention with an additive mask,
//                  erf-GELU feed-forward
//   head           token 0 -> dense -> tanh -> out_proj  (logits [batch, 1])
import { GraphBuilder } from './onnx/graph-builder.js';
import { DataType } from './onnx/schema.js';

export interface RobertaConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  padId: number;
  layerNormEps: number;
  typeVocabSize: number;
  numLabels: number;
}

/** A weight as PyTorch stores it (Linear weights are [out, in]). */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/** Looks a parameter up by its HF PyTorch name; throws when it is missing. */
export type WeightSource = (name: string) => Weight;

/** Every parameter name the graph reads, with the shape it must have. */
export function robertaParameterShapes(c: RobertaConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = c.hidden;
  m.set('roberta.embeddings.word_embeddings.weight', [c.vocabSize, H]);
  m.set('roberta.embeddings.position_embeddings.weight', [c.maxPositions, H]);
  m.set('roberta.embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]);
  m.set('roberta.embeddings.LayerNorm.weight', [H]);
  m.set('roberta.embeddings.LayerNorm.bias', [H]);
  for (let i = 0; i < c.layers; i++) {
    const p = `roberta.encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) {
      m.set(`${p}.attention.self.${n}.weight`, [H, H]);
      m.set(`${p}.attention.self.${n}.bias`, [H]);
    }
    m.set(`${p}.attention.output.dense.weight`, [H, H]);
    m.set(`${p}.attention.output.dense.bias`, [H]);
    m.set(`${p}.attention.output.LayerNorm.weight`, [H]);
    m.set(`${p}.attention.output.LayerNorm.bias`, [H]);
    m.set(`${p}.intermediate.dense.weight`, [c.intermediate, H]);
    m.set(`${p}.intermediate.dense.bias`, [c.intermediate]);
    m.set(`${p}.output.dense.weight`, [H, c.intermediate]);
    m.set(`${p}.output.dense.bias`, [H]);
    m.set(`${p}.output.LayerNorm.weight`, [H]);
    m.set(`${p}.output.LayerNorm.bias`, [H]);
  }
  m.set('classifier.dense.weight', [H, H]);
  m.set('classifier.dense.bias', [H]);
  m.set('classifier.out_proj.weight', [c.numLabels, H]);
  m.set('classifier.out_proj.bias', [c.numLabels]);
  return m;
}

/** [out, in] -> [in, out], so the graph computes x @ W^T with a plain MatMul. */
function transpose(w: Weight): Float32Array {
  const [rows, cols] = w.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = w.data[src + c];
  }
  return out;
}

export function buildRobertaGraph(c: RobertaConfig, weights: WeightSource): GraphBuilder {
  if (c.hidden % c.heads !== 0) throw new Error(`hidden ${c.hidden} is not divisible by heads ${c.heads}`);
  const shapes = robertaParameterShapes(c);
  const get = (name: string): Weight => {
    const w = weights(name);
    const want = shapes.get(name);
    if (!want || want.join() !== w.shape.join()) {
      throw new Error(`weight ${name} has shape [${w.shape}], expected [${want}]`);
    }
    return w;
  };
  const g = new GraphBuilder('roberta_sequence_classification');
  const vector = (name: string) => {
    const w = get(name);
    return g.initializer(name, w.shape, w.data);
  };
  const linear = (x: string, prefix: string) => {
    const w = get(`${prefix}.weight`);
    const wt = g.initializer(`${prefix}.weight_t`, [w.shape[1], w.shape[0]], transpose(w));
    return g.node('Add', [g.node('MatMul', [x, wt]), vector(`${prefix}.bias`)]);
  };
  const layerNorm = (x: string, prefix: string) =>
    g.node('LayerNormalization', [x, vector(`${prefix}.weight`), vector(`${prefix}.bias`)], {
      axis: -1,
      epsilon: { float: c.layerNormEps },
    });

  const B = { param: 'batch' };
  const S = { param: 'sequence' };
  const ids = g.input('input_ids', DataType.INT64, [B, S]);
  const mask = g.input('attention_mask', DataType.INT64, [B, S]);

  // Position ids count non-pad tokens from pad_id + 1; pads keep pad_id.
  const pad = g.int64([c.padId], true);
  const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', [ids, pad])])], { to: DataType.INT64 });
  const cum = g.node('CumSum', [notPad, g.int64([1], true)]);
  const positions = g.node('Add', [g.node('Mul', [cum, notPad]), pad], {}, { hint: 'position_ids' });

  const word = g.node('Gather', [vector('roberta.embeddings.word_embeddings.weight'), ids]);
  const pos = g.node('Gather', [vector('roberta.embeddings.position_embeddings.weight'), positions]);
  // RoBERTa has one token type and feeds zeros: add row 0 as a constant.
  const typeRow = get('roberta.embeddings.token_type_embeddings.weight').data.slice(0, c.hidden);
  const type = g.initializer('roberta.embeddings.token_type_row0', [c.hidden], typeRow);
  let x = layerNorm(g.node('Add', [g.node('Add', [word, pos]), type]), 'roberta.embeddings.LayerNorm');

  // Additive mask, as HF builds it: (1 - mask) * finfo(float32).min, [B, 1, 1, S].
  const maskF = g.node('Cast', [mask], { to: DataType.FLOAT });
  const inverted = g.node('Sub', [g.float([1], true), maskF]);
  const additive = g.node('Unsqueeze', [g.node('Mul', [inverted, g.float([-3.4028234663852886e38], true)]), g.int64([1, 2])]);

  const headDim = c.hidden / c.heads;
  const splitShape = g.int64([0, 0, c.heads, headDim]);
  const mergeShape = g.int64([0, 0, c.hidden]);
  const scale = g.float([Math.sqrt(headDim)], true);
  const sqrt2 = g.float([Math.SQRT2], true);
  const one = g.float([1], true);
  const half = g.float([0.5], true);
  for (let i = 0; i < c.layers; i++) {
    const p = `roberta.encoder.layer.${i}`;
    const heads = (name: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [linear(x, `${p}.attention.self.${name}`), splitShape])], { perm });
    const q = heads('query', [0, 2, 1, 3]); // [B, h, S, d]
    const kT = heads('key', [0, 2, 3, 1]); // [B, h, d, S]
    const v = heads('value', [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Div', [g.node('MatMul', [q, kT]), scale]), additive]);
    const probs = g.node('Softmax', [scores], { axis: -1 });
    const context = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeShape]);
    const attended = layerNorm(g.node('Add', [linear(context, `${p}.attention.output.dense`), x]), `${p}.attention.output.LayerNorm`);

    const h = linear(attended, `${p}.intermediate.dense`);
    const gelu = g.node('Mul', [g.node('Mul', [h, half]), g.node('Add', [one, g.node('Erf', [g.node('Div', [h, sqrt2])])])]);
    x = layerNorm(g.node('Add', [linear(gelu, `${p}.output.dense`), attended]), `${p}.output.LayerNorm`);
  }

  const first = g.node('Gather', [x, g.int64([0], true)], { axis: 1 }); // [B, H]: the <s> token
  const dense = g.node('Tanh', [linear(first, 'classifier.dense')]);
  const w = get('classifier.out_proj.weight');
  const wt = g.initializer('classifier.out_proj.weight_t', [w.shape[1], w.shape[0]], transpose(w));
  g.node('Add', [g.node('MatMul', [dense, wt]), vector('classifier.out_proj.bias')], {}, { output: 'logits' });
  g.output('logits', DataType.FLOAT, [B, { value: c.numLabels }]);
  return g;
}
