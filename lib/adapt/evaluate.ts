// Dev-set evaluation with the training graph's eval-mode forward (no
// dropout): the same logits the exported graph gives, from the weights being
// trained, without writing a model first.
import type { ParameterSet, TrainingGraph } from './contract.js';
import type { EvalSummary } from './checkpoint.js';
import { buildMicroBatch, groupStep } from './data/plan.js';
import { meanSquaredError, spearman } from './data/metrics.js';
import type { EncodedRows } from './data/tokenize.js';

/** Logits for every row, in row order; rows are batched by length (batchSize rows each). */
export async function predictRows(
  graph: TrainingGraph,
  weights: ParameterSet,
  data: EncodedRows,
  batchSize: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const all = new Uint32Array(data.count);
  for (let i = 0; i < data.count; i++) all[i] = i;
  const out = new Float32Array(data.count);
  for (const rows of groupStep(all, data, batchSize, true)) {
    const { labels: _l, rowWeights: _w, ...batch } = buildMicroBatch(rows, data, 1);
    const logits = await graph.forward(batch, weights, signal);
    rows.forEach((r, i) => (out[r] = logits[i]));
  }
  return out;
}

export async function evaluateRows(
  graph: TrainingGraph,
  weights: ParameterSet,
  data: EncodedRows,
  batchSize: number,
  signal?: AbortSignal,
): Promise<EvalSummary & { predictions: Float32Array }> {
  const predictions = await predictRows(graph, weights, data, batchSize, signal);
  return { rows: data.count, mse: meanSquaredError(predictions, data.labels), spearman: spearman(predictions, data.labels), predictions };
}
