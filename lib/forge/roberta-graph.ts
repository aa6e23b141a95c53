// RobertaForSequenceClassification and BertForSequenceClassification as ONNX
// graphs, with HF's semantics, from a config and weights keyed by HF PyTorch
// parameter names. The forge feeds it seeded random weights; the converter
// feeds it real checkpoints. The two families share the encoder and differ at
// the ends:
//
//                  RoBERTa                            BERT
//   position ids   cumsum(ids != pad) * (ids != pad)  0 .. S-1
//                  + pad
//   token types    row 0 (one type, no input)         token_type_ids input
//   encoder        post-LN layers: self-attention with an additive mask,
//                  erf-GELU feed-forward (the same code for both)
//   head           token 0 -> classifier.dense ->     token 0 -> pooler.dense ->
//                  tanh -> classifier.out_proj        tanh -> classifier
//
// Number formats (docs/dtypes.md): fp32 is the reference. fp16 stores every
// weight as fp16 and computes in fp16, except LayerNorm, softmax (with the
// mask) and the classifier head, which run in fp32 behind Casts because fp16
// loses accuracy there (variance sums, exp, and a 1-output dot product). int8
// quantizes the encoder's Linear weights per output channel and quantizes
// activations at run time; embeddings, LayerNorm, attention (QK^T, softmax,
// PV) and the head stay fp32. Logits are fp32 in every format.
import { GraphBuilder, type TensorSource } from './onnx/graph-builder.js';
import { DataType } from './onnx/schema.js';
import {
  DEFAULT_INT8,
  linearKind,
  quantizePerColumn,
  toHalf,
  type Int8Options,
  type ModelDType,
  type QuantizedWeight,
} from './precision.js';

export type ModelFamily = 'roberta' | 'bert';

export interface RobertaConfig {
  /** Which sequence classifier (parameter names, positions, types, head). Default roberta. */
  family: ModelFamily;
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

/** The sizes a config must give; the rest default to RoBERTa's (and Cappy's) values. */
export type RobertaConfigInput = Pick<RobertaConfig, 'vocabSize' | 'hidden' | 'layers' | 'heads' | 'intermediate'> & Partial<RobertaConfig>;
/** The name the config has for BERT (the same type: the family field tells them apart). */
export type EncoderGraphConfig = RobertaConfig;

/** BERT's defaults (bert-base, MiniLM cross-encoders): pad 0, 512 positions, two token types. */
const BERT_DEFAULTS = { maxPositions: 512, padId: 0, layerNormEps: 1e-12, typeVocabSize: 2, numLabels: 1 };
const ROBERTA_DEFAULTS = { maxPositions: 514, padId: 1, layerNormEps: 1e-5, typeVocabSize: 1, numLabels: 1 };

export function robertaConfig(c: RobertaConfigInput): RobertaConfig {
  const family = c.family ?? 'roberta';
  if (family !== 'roberta' && family !== 'bert') throw new Error(`family must be roberta or bert, got ${String(family)}`);
  const full: RobertaConfig = { ...(family === 'bert' ? BERT_DEFAULTS : ROBERTA_DEFAULTS), ...c, family };
  for (const [k, v] of Object.entries(full)) {
    if (k === 'family') continue;
    const ok = k === 'layerNormEps' ? v > 0 && v < 1 : Number.isInteger(v) && v >= (k === 'padId' ? 0 : 1);
    if (!ok) throw new Error(`${family} config: ${k} = ${String(v)} is not valid`);
  }
  if (full.hidden % full.heads !== 0) throw new Error(`hidden ${full.hidden} is not divisible by heads ${full.heads}`);
  if (full.padId >= full.vocabSize) throw new Error(`padId ${full.padId} is outside the vocabulary`);
  // RoBERTa's positions run from padId + 1, so a row can hold maxPositions - padId - 1 tokens.
  if (family === 'roberta' && full.maxPositions <= full.padId + 1) {
    throw new Error(`maxPositions ${full.maxPositions} leaves no room after padId ${full.padId}`);
  }
  return full;
}

/** A weight as PyTorch stores it (Linear weights are [out, in]). */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/**
 * A weight whose data is made when the ONNX writer reaches it, so a writer
 * with external data holds about one tensor at a time (the forge's large
 * preset is 1.4 GB).
 */
export interface LazyWeight {
  shape: number[];
  load: () => Float32Array;
}

/** Looks a parameter up by its HF PyTorch name; throws when it is missing. */
export type WeightSource = (name: string) => Weight | LazyWeight;

/** Every parameter name the graph reads, with the shape it must have (HF PyTorch names, Linear [out, in]). */
export function robertaParameterShapes(input: RobertaConfigInput): Map<string, number[]> {
  const c = robertaConfig(input);
  const m = new Map<string, number[]>();
  const H = c.hidden;
  const b = c.family; // the encoder's prefix: roberta.* or bert.*
  m.set(`${b}.embeddings.word_embeddings.weight`, [c.vocabSize, H]);
  m.set(`${b}.embeddings.position_embeddings.weight`, [c.maxPositions, H]);
  m.set(`${b}.embeddings.token_type_embeddings.weight`, [c.typeVocabSize, H]);
  m.set(`${b}.embeddings.LayerNorm.weight`, [H]);
  m.set(`${b}.embeddings.LayerNorm.bias`, [H]);
  for (let i = 0; i < c.layers; i++) {
    const p = `${b}.encoder.layer.${i}`;
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
  for (const [name, shape] of headShapes(c)) m.set(name, shape);
  return m;
}

/** The head's two Linear layers: RoBERTa classifier.dense + classifier.out_proj; BERT bert.pooler.dense + classifier. */
function headNames(c: RobertaConfig): { dense: string; out: string } {
  return c.family === 'bert'
    ? { dense: 'bert.pooler.dense', out: 'classifier' }
    : { dense: 'classifier.dense', out: 'classifier.out_proj' };
}

function headShapes(c: RobertaConfig): [string, number[]][] {
  const H = c.hidden;
  const { dense, out } = headNames(c);
  return [
    [`${dense}.weight`, [H, H]],
    [`${dense}.bias`, [H]],
    [`${out}.weight`, [c.numLabels, H]],
    [`${out}.bias`, [c.numLabels]],
  ];
}

/** [out, in] -> [in, out], so the graph computes x @ W^T with a plain MatMul. */
function transpose([rows, cols]: number[], data: Float32Array): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[src + c];
  }
  return out;
}

export interface GraphOptions {
  /** Number format of the graph. Default fp32. */
  dtype?: ModelDType;
  /** int8 only: how quantized Linear layers are spelled, and the weight code range. */
  int8?: Partial<Int8Options>;
}

/**
 * Where HF applies dropout in training (no-ops in inference graphs):
 * after the embeddings' LayerNorm; on attention probabilities; on the
 * attention output dense and the FFN output dense, before each residual add;
 * in RoBERTa's head on features[:, 0] and after dense + tanh; in BERT's on
 * the pooled output before the classifier.
 */
export type DropoutSite = 'embeddings' | 'attention-probs' | 'attention-output' | 'ffn-output' | 'head-features' | 'head-dense' | 'pooled';

/**
 * How the shared body below reaches weights and formats: the inference
 * graphs store weights as initializers (Linear weights pre-transposed, fp16
 * or int8 as asked); the training graph (lib/adapt/graph) takes them as graph
 * inputs in HF layout and puts dropout at the sites.
 */
export interface GraphParts {
  /** A parameter read as it is (bias, LayerNorm, embedding table); `float` keeps it fp32 in an fp16 graph. */
  vector(name: string, float?: boolean): string;
  /** An encoder Linear layer: x W^T + b. */
  linear(x: string, prefix: string): string;
  /** A head Linear layer (fp32 in every format); `output` names its result. */
  headLinear(x: string, prefix: string, output?: string): string;
  /** RoBERTa: row 0 of token_type_embeddings, [hidden], fp32. */
  typeRow(table: string): string;
  /** Activation type to fp32 and back (identity outside fp16 graphs). */
  toFloat(x: string): string;
  toAct(x: string): string;
  /** A scalar constant in the activation type. */
  scalar(v: number): string;
  dropout(x: string, site: DropoutSite): string;
  /** GELU as one op (the training graph); absent: the erf decomposition, which ORT fuses at load. */
  gelu?(h: string): string;
}

export function buildRobertaGraph(input: RobertaConfigInput, weights: WeightSource, options: GraphOptions = {}): GraphBuilder {
  const c = robertaConfig(input);
  const dtype = options.dtype ?? 'fp32';
  const int8: Int8Options = { ...DEFAULT_INT8, ...options.int8 };
  const fp16 = dtype === 'fp16';
  const shapes = robertaParameterShapes(c);
  // Shapes are checked now; data is read (and for lazy weights, made) when written.
  const get = (name: string): Weight | LazyWeight => {
    const w = weights(name);
    const want = shapes.get(name);
    if (!want || want.join() !== w.shape.join()) {
      throw new Error(`weight ${name} has shape [${w.shape}], expected [${want}]`);
    }
    return w;
  };
  const g = new GraphBuilder(`${c.family}_sequence_classification`);
  g.metadata('cappy_dtype', dtype);
  if (dtype === 'int8') {
    g.metadata('cappy_int8', JSON.stringify(int8));
    if (int8.ops === 'contrib') g.importOpset('com.microsoft', 1);
  }

  /** A float tensor, stored as fp16 when `half` (fp16 graphs), else as fp32. */
  const store = (name: string, dims: number[], src: Float32Array | (() => Float32Array), half: boolean): string => {
    if (!half) return g.initializer(name, dims, src);
    const made: TensorSource = typeof src === 'function' ? () => toHalf(src()) : toHalf(src);
    return g.initializer(name, dims, made, DataType.FLOAT16);
  };
  const dataOf = (w: Weight | LazyWeight) => ('load' in w ? w.load : w.data);
  // `float`: keep fp32 in an fp16 graph (LayerNorm parameters, the head).
  // Each weight is asked for once: the converter hands it over and forgets it.
  const vector = (name: string, float = false) => {
    const w = get(name);
    return store(name, w.shape, dataOf(w), fp16 && !float);
  };
  // A weight in hand is transposed now, so the builder keeps only the
  // transposed copy (the converter drops its own as it hands each over).
  const transposed = (name: string, float = false) => {
    const w = get(name);
    const src = 'load' in w ? () => transpose(w.shape, w.load()) : transpose(w.shape, w.data);
    return store(`${name}_t`, [w.shape[1], w.shape[0]], src, fp16 && !float);
  };
  // int8 codes and scales come from one quantization: for a lazy weight the
  // codes' writer makes both and the scales' writer (next in order) takes them.
  let pending: { name: string; q: QuantizedWeight } | undefined;
  const quantized = (name: string): [codes: string, scales: string] => {
    const w = get(name);
    const [out, inp] = w.shape;
    const make = () => quantizePerColumn(transpose(w.shape, 'load' in w ? w.load() : w.data), inp, out, int8.weightMax);
    if (!('load' in w)) {
      const q = make();
      return [g.initializer(`${name}_q`, [inp, out], q.codes), g.initializer(`${name}_scale`, [out], q.scales)];
    }
    const take = () => {
      if (pending?.name !== name) pending = { name, q: make() };
      return pending.q;
    };
    const codes = g.initializer(`${name}_q`, [inp, out], () => take().codes, DataType.INT8);
    const scales = g.initializer(`${name}_scale`, [out], () => {
      const s = take().scales;
      pending = undefined;
      return s;
    });
    return [codes, scales];
  };
  let constants = 0;
  const parts: GraphParts = {
    vector,
    // The encoder's Linear layers: fp32 or fp16 MatMul + Add, or int8.
    linear: (x, prefix) => {
      if (dtype !== 'int8' || int8.keepFloat?.includes(linearKind(prefix))) {
        return g.node('Add', [g.node('MatMul', [x, transposed(`${prefix}.weight`)]), vector(`${prefix}.bias`)]);
      }
      const [codes, scales] = quantized(`${prefix}.weight`);
      const bias = vector(`${prefix}.bias`);
      if (int8.ops === 'contrib') return g.node('DynamicQuantizeMatMul', [x, codes, scales, '', bias], {}, { domain: 'com.microsoft' });
      const [xq, xScale, xZero] = g.nodeOutputs('DynamicQuantizeLinear', [x], 3);
      const acc = g.node('Cast', [g.node('MatMulInteger', [xq, codes, xZero])], { to: DataType.FLOAT });
      return g.node('Add', [g.node('Mul', [acc, g.node('Mul', [xScale, scales])]), bias]);
    },
    headLinear: (x, prefix, output) =>
      g.node(
        'Add',
        [g.node('MatMul', [x, transposed(`${prefix}.weight`, true)]), vector(`${prefix}.bias`, true)],
        {},
        output ? { output } : {},
      ),
    // RoBERTa has one token type and feeds zeros: add row 0 as a constant (fp32).
    typeRow: (table) => {
      const typeTable = get(table);
      return g.initializer(
        table.replace(/token_type_embeddings\.weight$/, 'token_type_row0'),
        [c.hidden],
        'load' in typeTable ? () => typeTable.load().slice(0, c.hidden) : typeTable.data.slice(0, c.hidden),
      );
    },
    toFloat: (x) => (fp16 ? g.node('Cast', [x], { to: DataType.FLOAT }) : x),
    toAct: (x) => (fp16 ? g.node('Cast', [x], { to: DataType.FLOAT16 }) : x),
    scalar: (v) => (fp16 ? g.initializer(`const_f16_${constants++}`, [], toHalf(Float32Array.of(v))) : g.float([v], true)),
    dropout: (x) => x,
  };
  emitSequenceClassifier(g, c, parts);
  return g;
}

/**
 * The body both graphs share: inputs input_ids, attention_mask (and BERT's
 * token_type_ids), [batch, sequence] int64; output logits [batch, labels].
 * Returns the logits' name.
 */
export function emitSequenceClassifier(g: GraphBuilder, c: RobertaConfig, parts: GraphParts): string {
  const { vector, linear, toFloat, toAct, scalar, dropout } = parts;
  // LayerNorm runs in fp32 in every format: its mean and variance sums lose
  // too much in fp16. Input and output are in the activation type.
  const layerNorm = (x: string, prefix: string, inputIsFloat = false) =>
    toAct(
      g.node('LayerNormalization', [inputIsFloat ? x : toFloat(x), vector(`${prefix}.weight`, true), vector(`${prefix}.bias`, true)], {
        axis: -1,
        epsilon: { float: c.layerNormEps },
      }),
    );

  const B = { param: 'batch' };
  const S = { param: 'sequence' };
  const ids = g.input('input_ids', DataType.INT64, [B, S]);
  const mask = g.input('attention_mask', DataType.INT64, [B, S]);
  const e = `${c.family}.embeddings`;
  // The tables are stored in the graph's format; the sum and LayerNorm are fp32.
  const word = toFloat(g.node('Gather', [vector(`${e}.word_embeddings.weight`), ids]));
  let x: string;
  if (c.family === 'bert') {
    // BERT's positions are 0..S-1 for every row, padded or not; segment ids
    // pick token type rows (0 for [CLS] A [SEP], 1 for B [SEP]).
    const types = g.input('token_type_ids', DataType.INT64, [B, S]);
    const len = g.node('Gather', [g.node('Shape', [ids]), g.int64([1], true)]);
    const positions = g.node('Range', [g.int64([0], true), len, g.int64([1], true)], {}, { hint: 'position_ids' });
    const pos = toFloat(g.node('Gather', [vector(`${e}.position_embeddings.weight`), positions])); // [S, H], broadcast over rows
    const type = toFloat(g.node('Gather', [vector(`${e}.token_type_embeddings.weight`), types]));
    x = g.node('Add', [g.node('Add', [word, type]), pos]);
  } else {
    // Position ids count non-pad tokens from pad_id + 1; pads keep pad_id.
    const pad = g.int64([c.padId], true);
    const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', [ids, pad])])], { to: DataType.INT64 });
    const cum = g.node('CumSum', [notPad, g.int64([1], true)]);
    const positions = g.node('Add', [g.node('Mul', [cum, notPad]), pad], {}, { hint: 'position_ids' });
    const pos = toFloat(g.node('Gather', [vector(`${e}.position_embeddings.weight`), positions]));
    const type = parts.typeRow(`${e}.token_type_embeddings.weight`);
    x = g.node('Add', [g.node('Add', [word, pos]), type]);
  }
  x = dropout(layerNorm(x, `${e}.LayerNorm`, true), 'embeddings');

  // Additive mask, as HF builds it: (1 - mask) * finfo(float32).min, [B, 1, 1, S].
  // Always fp32: fp16 cannot hold it, and softmax runs in fp32.
  const maskF = g.node('Cast', [mask], { to: DataType.FLOAT });
  const inverted = g.node('Sub', [g.float([1], true), maskF]);
  const additive = g.node('Unsqueeze', [g.node('Mul', [inverted, g.float([-3.4028234663852886e38], true)]), g.int64([1, 2])]);

  const headDim = c.hidden / c.heads;
  const splitShape = g.int64([0, 0, c.heads, headDim]);
  const mergeShape = g.int64([0, 0, c.hidden]);
  const scale = scalar(Math.sqrt(headDim));
  const sqrt2 = scalar(Math.SQRT2);
  const one = scalar(1);
  const half = scalar(0.5);
  for (let i = 0; i < c.layers; i++) {
    const p = `${c.family}.encoder.layer.${i}`;
    const heads = (name: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [linear(x, `${p}.attention.self.${name}`), splitShape])], { perm });
    const q = heads('query', [0, 2, 1, 3]); // [B, h, S, d]
    const kT = heads('key', [0, 2, 3, 1]); // [B, h, d, S]
    const v = heads('value', [0, 2, 1, 3]);
    const scores = g.node('Add', [toFloat(g.node('Div', [g.node('MatMul', [q, kT]), scale])), additive]);
    const probs = dropout(toAct(g.node('Softmax', [scores], { axis: -1 })), 'attention-probs');
    const context = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeShape]);
    const attnOut = dropout(linear(context, `${p}.attention.output.dense`), 'attention-output');
    const attended = layerNorm(g.node('Add', [attnOut, x]), `${p}.attention.output.LayerNorm`);

    const h = linear(attended, `${p}.intermediate.dense`);
    const gelu = parts.gelu
      ? parts.gelu(h)
      : g.node('Mul', [g.node('Mul', [h, half]), g.node('Add', [one, g.node('Erf', [g.node('Div', [h, sqrt2])])])]);
    x = layerNorm(g.node('Add', [dropout(linear(gelu, `${p}.output.dense`), 'ffn-output'), attended]), `${p}.output.LayerNorm`);
  }

  // The head is fp32 in every format: two small MatMuls over one token.
  const first = toFloat(g.node('Gather', [x, g.int64([0], true)], { axis: 1 })); // [B, H]: the <s> / [CLS] token
  if (c.family === 'bert') {
    // BertPooler (dense + tanh, no dropout inside), dropout, classifier.
    const pooled = dropout(g.node('Tanh', [parts.headLinear(first, 'bert.pooler.dense')]), 'pooled');
    parts.headLinear(pooled, 'classifier', 'logits');
  } else {
    // RobertaClassificationHead: dropout, dense, tanh, dropout, out_proj.
    const dense = g.node('Tanh', [parts.headLinear(dropout(first, 'head-features'), 'classifier.dense')]);
    parts.headLinear(dropout(dense, 'head-dense'), 'classifier.out_proj', 'logits');
  }
  g.output('logits', DataType.FLOAT, [B, { value: c.numLabels }]);
  return 'logits';
}
