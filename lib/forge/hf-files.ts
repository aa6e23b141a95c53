// The small JSON files of an HF model folder, so transformers.js and HF
// tooling read a forged (or converted) folder as they read a hub download.
import type { RobertaConfig } from './roberta-graph.js';

export interface ForgedMark {
  preset: string;
  seed: number;
  note: string;
}

/** The encoder and one-label head fields both families' config.json share. */
function encoderConfigFields(c: RobertaConfig): Record<string, unknown> {
  return {
    pad_token_id: c.padId,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: c.hidden,
    initializer_range: 0.02,
    intermediate_size: c.intermediate,
    layer_norm_eps: c.layerNormEps,
    max_position_embeddings: c.maxPositions,
    num_attention_heads: c.heads,
    num_hidden_layers: c.layers,
    type_vocab_size: c.typeVocabSize,
    vocab_size: c.vocabSize,
    position_embedding_type: 'absolute',
    num_labels: c.numLabels,
    id2label: { '0': 'LABEL_0' },
    label2id: { LABEL_0: 0 },
  };
}

export function robertaConfigJson(c: RobertaConfig, forged?: ForgedMark): Record<string, unknown> {
  return {
    architectures: ['RobertaForSequenceClassification'],
    model_type: 'roberta',
    attention_probs_dropout_prob: 0.1,
    bos_token_id: 0,
    eos_token_id: 2,
    ...encoderConfigFields(c),
    problem_type: 'regression',
    ...(forged ? { cappy_forged: forged } : {}),
  };
}

/** config.json of a BertForSequenceClassification with one regression output (MiniLM cross-encoders' layout). */
export function bertConfigJson(c: RobertaConfig, forged?: ForgedMark): Record<string, unknown> {
  return {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    ...encoderConfigFields(c),
    ...(forged ? { cappy_forged: forged } : {}),
  };
}

/** config.json for either family. */
export function modelConfigJson(c: RobertaConfig, forged?: ForgedMark): Record<string, unknown> {
  return c.family === 'bert' ? bertConfigJson(c, forged) : robertaConfigJson(c, forged);
}

export const BERT_SPECIAL_TOKENS_MAP = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

export function bertTokenizerConfigJson(maxLength = 512): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    model_max_length: maxLength,
    do_lower_case: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
    ...BERT_SPECIAL_TOKENS_MAP,
  };
}

export const SPECIAL_TOKENS_MAP = {
  bos_token: '<s>',
  eos_token: '</s>',
  unk_token: '<unk>',
  sep_token: '</s>',
  pad_token: '<pad>',
  cls_token: '<s>',
  mask_token: { content: '<mask>', lstrip: true, normalized: false, rstrip: false, single_word: false },
};

export function tokenizerConfigJson(maxLength = 512): Record<string, unknown> {
  return {
    tokenizer_class: 'RobertaTokenizer',
    model_max_length: maxLength,
    add_prefix_space: false,
    errors: 'replace',
    bos_token: '<s>',
    eos_token: '</s>',
    sep_token: '</s>',
    cls_token: '<s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    mask_token: '<mask>',
    trim_offsets: true,
  };
}
