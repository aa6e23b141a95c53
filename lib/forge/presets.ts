// Model sizes the forge makes. The RoBERTa presets share Cappy's vocabulary
// (50265) and 514 positions, so they read the same tokenizer.json; `large` is
// Cappy's own shape (RoBERTa-large). The BERT presets are WordPiece
// cross-encoders: `bert-tiny` for tests, `bert-minilm` with the shape of
// cross-encoder/ms-marco-MiniLM-L-6-v2 (6 layers, hidden 384, vocabulary
// 30522, two token types).
import type { ModelFamily, RobertaConfig } from './roberta-graph.js';

export type Preset = 'tiny' | 'small' | 'base' | 'large' | 'bert-tiny' | 'bert-minilm';

const roberta = {
  family: 'roberta',
  vocabSize: 50265,
  maxPositions: 514,
  padId: 1,
  layerNormEps: 1e-5,
  typeVocabSize: 1,
  numLabels: 1,
} as const;
const bert = { family: 'bert', maxPositions: 512, padId: 0, layerNormEps: 1e-12, typeVocabSize: 2, numLabels: 1 } as const;

export const PRESETS: Record<Preset, RobertaConfig> = {
  tiny: { ...roberta, hidden: 32, layers: 2, heads: 2, intermediate: 64 },
  small: { ...roberta, hidden: 256, layers: 4, heads: 4, intermediate: 1024 },
  base: { ...roberta, hidden: 768, layers: 12, heads: 12, intermediate: 3072 },
  large: { ...roberta, hidden: 1024, layers: 24, heads: 16, intermediate: 4096 },
  'bert-tiny': { ...bert, vocabSize: 4000, hidden: 32, layers: 2, heads: 2, intermediate: 64 },
  'bert-minilm': { ...bert, vocabSize: 30522, hidden: 384, layers: 6, heads: 12, intermediate: 1536 },
};

export function isPreset(p: unknown): p is Preset {
  return typeof p === 'string' && Object.hasOwn(PRESETS, p);
}

export function presetFamily(p: Preset): ModelFamily {
  return PRESETS[p].family;
}
