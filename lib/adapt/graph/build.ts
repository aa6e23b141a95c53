// The training graph: the same RoBERTa/BERT body as the inference graphs
// (emitSequenceClassifier), with the weights as graph inputs in HF layout,
// dropout at HF's sites, the loss sum_i w_i (logit_i - label_i)^2, and the
// reverse pass over all of it (lib/adapt/differentiate). docs/training-graph.md.
import { backward, Tape } from '../differentiate/index.js';
import { GraphBuilder } from '../../forge/onnx/graph-builder.js';
import { DataType } from '../../forge/onnx/schema.js';
import {
  emitSequenceClassifier,
  robertaParameterShapes,
  type DropoutSite,
  type GraphParts,
  type RobertaConfig,
} from '../../forge/roberta-graph.js';
import { DropoutMasks } from './dropout.js';

export interface TrainingGraphSpec {
  config: RobertaConfig;
  /** 'train': loss and gradients; 'eval': logits only, no dropout. */
  mode: 'train' | 'eval';
  /** Drop probability at every site; 0 emits no dropout node at all. */
  dropout: number;
  /**
   * How x W^T is spelled with W [out, in] as an input: 'gemm' flattens the
   * rows and uses Gemm(transB=1) (the default, see docs/training-graph.md),
   * 'matmul' uses MatMul(x, Transpose(W)).
   */
  linear?: 'gemm' | 'matmul';
  /** Embedding tables: gathered rows out of the graph ('rows', default) or ScatterND in it. */
  tables?: 'rows' | 'scatter';
  /** Also output every dropout mask (tests). */
  exposeMasks?: boolean;
}

export interface TableGradient {
  rows: string;
  indices: string;
}

export interface TrainingGraphLayout {
  graph: GraphBuilder;
  /** Every trainable parameter (HF names, HF layout), in a fixed order. */
  parameters: Map<string, number[]>;
  /** Parameter -> the output holding its whole gradient. */
  dense: Map<string, string>;
  /** Table -> outputs holding the rows it gathered and their cotangents (summed by index by the caller). */
  tables: Map<string, TableGradient[]>;
  /** The keep mask (bool) of each dropout site, when exposed. */
  masks: string[];
}

/**
 * The table row torch never updates: nn.Embedding(padding_idx) zeroes its
 * gradient. HF gives the word table padding_idx = pad_token_id (RoBERTa and
 * BERT), and RoBERTa's position table too.
 */
export function paddingRow(c: RobertaConfig, table: string): number | undefined {
  if (table === `${c.family}.embeddings.word_embeddings.weight`) return c.padId;
  if (c.family === 'roberta' && table === 'roberta.embeddings.position_embeddings.weight') return c.padId;
  return undefined;
}

/** Dropout sites in order: embeddings, 3 per layer, then 2 (RoBERTa head) or 1 (BERT, pooled output). */
export function dropoutSiteCount(c: RobertaConfig): number {
  return 1 + 3 * c.layers + (c.family === 'bert' ? 1 : 2);
}

const SHAPE_KEY: Record<DropoutSite, string> = {
  embeddings: 'tokens',
  'attention-output': 'tokens',
  'ffn-output': 'tokens',
  'attention-probs': 'probs',
  'head-features': 'rows',
  'head-dense': 'rows',
  pooled: 'rows',
};

export function buildTrainingGraph(spec: TrainingGraphSpec): TrainingGraphLayout {
  const c = spec.config;
  const train = spec.mode === 'train';
  const p = train ? spec.dropout : 0;
  const g = new GraphBuilder(`${c.family}_${spec.mode}`, 18);
  g.metadata('cappy_graph', `${spec.mode} (lib/adapt/graph)`);
  g.importOpset('com.microsoft', 1);
  const parameters = robertaParameterShapes(c);
  const declared = new Set<string>();
  const param = (name: string) => {
    const shape = parameters.get(name);
    if (!shape) throw new Error(`no parameter ${name}`);
    if (!declared.has(name)) {
      g.input(
        name,
        DataType.FLOAT,
        shape.map((value) => ({ value })),
      );
      declared.add(name);
    }
    return name;
  };
  const masks = p > 0 ? new DropoutMasks(g, p, dropoutSiteCount(c)) : undefined;
  const rowShapes = new Map<number, string>();
  const linear = (x: string, prefix: string) => {
    const w = param(`${prefix}.weight`);
    const [out, inp] = parameters.get(w)!;
    if (spec.linear === 'matmul')
      return g.node('Add', [g.node('MatMul', [x, g.node('Transpose', [w], { perm: [1, 0] })]), param(`${prefix}.bias`)]);
    // [B, S, in] -> [B*S, in] -> Gemm -> [B, S, out]
    let back = rowShapes.get(out);
    if (!back) {
      back = g.node('Concat', [g.node('Shape', ['input_ids']), g.int64([out])], { axis: 0 });
      rowShapes.set(out, back);
    }
    const rows = g.node('Reshape', [x, g.int64([-1, inp])]);
    return g.node('Reshape', [g.node('Gemm', [rows, w, param(`${prefix}.bias`)], { transB: 1 }), back]);
  };
  const parts: GraphParts = {
    vector: param,
    linear,
    headLinear: (x, prefix, output) =>
      g.node('Gemm', [x, param(`${prefix}.weight`), param(`${prefix}.bias`)], { transB: 1 }, output ? { output } : {}),
    typeRow: (table) => g.node('Gather', [param(table), g.int64([0], true)]),
    toFloat: (x) => x,
    toAct: (x) => x,
    scalar: (v) => g.float([v], true),
    dropout: (x, site) => (masks ? masks.apply(x, SHAPE_KEY[site]) : x),
    // One node instead of five: the backward needs only h (rules/activation.ts),
    // so the decomposition's three [B, S, intermediate] temporaries are never kept.
    gelu: (h) => g.node('Gelu', [h], {}, { domain: 'com.microsoft' }),
  };
  const logits = emitSequenceClassifier(g, c, parts);
  masks?.finish();
  const layout: TrainingGraphLayout = { graph: g, parameters, dense: new Map(), tables: new Map(), masks: [] };
  if (!train) return layout;

  // loss = sum_i w_i (logits[i, 0] - label_i)^2, in float64 from float32 logits.
  const batch = [{ param: 'batch' }];
  const labels = g.input('labels', DataType.FLOAT, batch);
  const weights = g.input('row_weights', DataType.FLOAT, batch);
  const f64 = (x: string) => g.node('Cast', [x], { to: DataType.DOUBLE });
  const diff = g.node('Sub', [f64(g.node('Gather', [logits, g.int64([0], true)], { axis: 1 })), f64(labels)]);
  g.node('ReduceSum', [g.node('Mul', [f64(weights), g.node('Mul', [diff, diff])])], { keepdims: 0 }, { output: 'loss' });
  g.output('loss', DataType.DOUBLE, []);

  const tape = new Tape(g, 'grad');
  if (spec.exposeMasks && masks) {
    for (const m of masks.masks) tape.output(m);
    layout.masks = masks.masks;
  }
  const names = [...parameters.keys()];
  const grads = backward(tape, 'loss', names, { tables: spec.tables ?? 'rows' });
  for (const [name, grad] of grads) {
    if (grad.dense) {
      const pad = paddingRow(c, name);
      if (pad !== undefined) {
        // A table summed in the graph (tables: 'scatter'): zero its padding row as torch does.
        const rows = parameters.get(name)![0];
        const keep = new Float32Array(rows).fill(1);
        keep[pad] = 0;
        grad.dense = tape.mul(grad.dense, g.initializer(`${name}.padding_mask`, [rows, 1], keep));
      }
      const got = tape.meta(grad.dense).shape;
      if (got.join() !== parameters.get(name)!.join())
        throw new Error(`gradient of ${name} has shape [${got}], expected [${parameters.get(name)}]`);
      layout.dense.set(name, tape.exportAs(grad.dense, `${name}.grad`));
    }
    if (grad.sparse.length) {
      layout.tables.set(
        name,
        grad.sparse.map((s, k) => ({
          rows: tape.exportAs(s.rows, `${name}.grad_rows.${k}`),
          indices: tape.exportAs(s.indices, `${name}.grad_index.${k}`),
        })),
      );
    }
  }
  g.removeDeadNodes();
  return layout;
}
