// Token-id rows through onnxruntime-node, the oracle the tests and benches
// compare the engine with: rows padded with RoBERTa's <pad> (1) into int64
// input_ids and attention_mask, one logit back per row. The onnxruntime-node
// module is passed in rather than imported here, so a bench that loads it
// lazily (only for its onnxruntime-node arm) keeps doing so.
import type * as Ort from 'onnxruntime-node';

type OrtModule = typeof Ort;

/** [rows, len] input_ids (padded with 1) and attention_mask; `len` defaults to the longest row. */
export function padRows(rows: readonly (readonly number[])[], len = Math.max(...rows.map((r) => r.length))) {
  const ids = new BigInt64Array(rows.length * len).fill(1n);
  const mask = new BigInt64Array(rows.length * len);
  rows.forEach((r, i) => r.forEach((id, t) => ((ids[i * len + t] = BigInt(id)), (mask[i * len + t] = 1n))));
  return { ids, mask, len };
}

/** One run over all rows, padded to the longest (or to `len`): the logit of each row. */
export async function runRows(
  ort: OrtModule,
  session: Ort.InferenceSession,
  rows: readonly (readonly number[])[],
  len?: number,
): Promise<Float32Array> {
  const p = padRows(rows, len);
  const out = await session.run({
    input_ids: new ort.Tensor('int64', p.ids, [rows.length, p.len]),
    attention_mask: new ort.Tensor('int64', p.mask, [rows.length, p.len]),
  });
  const logits = out.logits.data as Float32Array;
  const width = Number(out.logits.dims[1] ?? 1);
  return Float32Array.from(rows, (_, i) => logits[i * width]);
}

/**
 * Runs of `batch` rows taken in `order` (default: input order), each padded
 * to its own longest row; the logits come back in input order.
 */
export async function runRowsBatched(
  ort: OrtModule,
  session: Ort.InferenceSession,
  rows: readonly (readonly number[])[],
  batch: number,
  order: readonly number[] = rows.map((_, i) => i),
): Promise<Float32Array> {
  const out = new Float32Array(rows.length);
  for (let s = 0; s < order.length; s += batch) {
    const idx = order.slice(s, s + batch);
    const logits = await runRows(
      ort,
      session,
      idx.map((i) => rows[i]),
    );
    idx.forEach((i, r) => (out[i] = logits[r]));
  }
  return out;
}
