// Labelled pairs to token ids with the model folder's own tokenizer, in
// Cappy's pair template (<s> instruction </s></s> response </s>; BERT:
// [CLS] a [SEP] b [SEP]), longest_first truncation to --max-length: the ids
// the scorer would feed for the same pair.
//
// BERT also needs token_type_ids: 0 through the first [SEP], then the file's
// pair type id (1) to the end. The native tokenizer knows where a pair's
// second segment starts but its Node binding does not return it, so it is
// recovered here from the ids: truncation keeps a prefix of each text's
// tokens, so the pair is [CLS] A[0..k) [SEP] B[0..m) [SEP] for the one k
// whose prefixes match the texts' own encodings.
import { InvalidInputError } from '../../errors/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { LabelledPair } from './jsonl.js';

export interface EncodedRows {
  count: number;
  /** Row i is ids[offsets[i] .. offsets[i + 1]), special tokens included. */
  ids: Int32Array;
  offsets: Uint32Array;
  labels: Float32Array;
  /** Set when the model takes token_type_ids: where each row's second segment starts. */
  secondStarts?: Uint32Array;
  /** The type id of the second segment (BERT: 1). */
  pairTypeId: number;
  padId: number;
}

export interface EncodeOptions {
  /** The graph takes token_type_ids (BERT). */
  typeIds: boolean;
  /** Tokenizer threads (0: all cores). */
  threads?: number;
}

export async function encodeRows(tokenizer: Tokenizer, rows: readonly LabelledPair[], options: EncodeOptions): Promise<EncodedRows> {
  const threads = options.threads ?? 0;
  const packed = await tokenizer.encodeBatchPacked(
    rows.map((r) => [r.instruction, r.response] as [string, string]),
    { threads },
  );
  const labels = Float32Array.from(rows, (r) => r.label);
  const base = {
    count: rows.length,
    ids: packed.ids,
    offsets: packed.offsets,
    labels,
    pairTypeId: tokenizer.native.info.pairTypeId,
    padId: tokenizer.padId,
  };
  if (!options.typeIds) return base;
  return { ...base, secondStarts: await secondStarts(tokenizer, rows, packed.ids, packed.offsets, threads) };
}

async function secondStarts(
  tokenizer: Tokenizer,
  rows: readonly LabelledPair[],
  ids: Int32Array,
  offsets: Uint32Array,
  threads: number,
): Promise<Uint32Array> {
  // The template's layout from empty texts: [CLS] [SEP] [SEP] for a pair, [CLS] [SEP] alone.
  const pairSpecials = tokenizer.encode('', '').ids;
  const singleSpecials = tokenizer.encode('').ids;
  if (pairSpecials.length !== 3 || singleSpecials.length !== 2) {
    throw new InvalidInputError(
      `token_type_ids: this tokenizer's pair template has ${pairSpecials.length} special tokens (expected [CLS] A [SEP] B [SEP]); adapt supports the BERT pair layout only`,
    );
  }
  const middle = pairSpecials[1];
  const firsts = await tokenizer.encodeBatchPacked(
    rows.map((r) => r.instruction),
    { threads },
  );
  const seconds = await tokenizer.encodeBatchPacked(
    rows.map((r) => r.response),
    { threads },
  );
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const pair = ids.subarray(offsets[i], offsets[i + 1]);
    // Each text's tokens without its own [CLS] and [SEP].
    const a = firsts.ids.subarray(firsts.offsets[i] + 1, firsts.offsets[i + 1] - 1);
    const b = seconds.ids.subarray(seconds.offsets[i] + 1, seconds.offsets[i + 1] - 1);
    const k = splitPoint(pair, a, b, middle);
    if (k < 0)
      throw new InvalidInputError(`row ${i + 1}: cannot find where the second text starts in its encoding (unexpected pair template)`);
    out[i] = k + 2; // [CLS] A[0..k) [SEP]: the second segment starts after the middle [SEP]
  }
  return out;
}

/** The k with pair = [x] a[0..k) [middle] b[0..m) [y], m = len - 3 - k; the largest when several fit; -1 when none does. */
export function splitPoint(pair: Int32Array, a: Int32Array, b: Int32Array, middle: number): number {
  const inner = pair.length - 3;
  for (let k = Math.min(a.length, inner); k >= 0; k--) {
    const m = inner - k;
    if (m > b.length || pair[1 + k] !== middle) continue;
    let ok = true;
    for (let t = 0; ok && t < k; t++) ok = pair[1 + t] === a[t];
    for (let t = 0; ok && t < m; t++) ok = pair[2 + k + t] === b[t];
    if (ok) return k;
  }
  return -1;
}
