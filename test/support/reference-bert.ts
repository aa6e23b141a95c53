// An independent, naive forward pass of BertForSequenceClassification,
// written from the semantics of HF's modeling_bert.py (not from the forge's
// graph), in float64, one row at a time. The encoder layers are the RoBERTa
// reference's (RobertaLayer is a copy of BertLayer); what differs is here:
//
//   BertEmbeddings   word[id] + token_type[type id] + position[t], t = 0..L-1
//                    (the position_ids buffer, sliced; no padding offset)
//   BertPooler       tanh(dense(hidden[:, 0]))
//   classifier       Linear(pooled)   (num_labels 1: a regression score)
import type { RobertaConfig, Weight } from '../../lib/forge/index.js';
import { layerNorm, linear, referenceEncoder, type Mistake as EncoderMistake, type Vec } from './reference-roberta.js';

export type BertMistake =
  | EncoderMistake
  | 'roberta-positions' // RoBERTa's create_position_ids_from_input_ids instead of 0..L-1
  | 'ignore-type-ids' // token_type_embeddings[0] for every token
  | 'no-pooler'; // classifier on hidden[:, 0] without the pooler's dense + tanh

/** Logit 0 for one row: ids, their segment ids and (default all ones) attention mask. */
export function referenceBertLogit(
  c: RobertaConfig,
  W: Map<string, Weight>,
  ids: number[],
  typeIds: number[],
  mask?: number[],
  mistake?: BertMistake,
): number {
  const w = (n: string) => {
    const v = W.get(n);
    if (!v) throw new Error(`missing ${n}`);
    return v;
  };
  const H = c.hidden;
  const m = mask ?? ids.map(() => 1);
  let count = 0;
  const positions = ids.map((id, t) => {
    if (mistake === 'roberta-positions') return id !== c.padId ? ++count + c.padId : c.padId;
    return t;
  });
  const we = w('bert.embeddings.word_embeddings.weight');
  const pe = w('bert.embeddings.position_embeddings.weight');
  const te = w('bert.embeddings.token_type_embeddings.weight');
  const x: Vec[] = ids.map((id, t) => {
    const type = mistake === 'ignore-type-ids' ? 0 : typeIds[t];
    const e = new Float64Array(H);
    for (let h = 0; h < H; h++) e[h] = we.data[id * H + h] + te.data[type * H + h] + pe.data[positions[t] * H + h];
    return layerNorm(e, w('bert.embeddings.LayerNorm.weight'), w('bert.embeddings.LayerNorm.bias'), c.layerNormEps);
  });
  const hidden = referenceEncoder(c, w, 'bert', x, m, mistake as EncoderMistake);
  const pooled =
    mistake === 'no-pooler' ? hidden[0] : linear(hidden[0], w('bert.pooler.dense.weight'), w('bert.pooler.dense.bias')).map(Math.tanh);
  return linear(pooled, w('classifier.weight'), w('classifier.bias'))[0];
}
