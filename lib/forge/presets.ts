// Model sizes the forge makes. All share Cappy's vocabulary (50265) and
// 514 positions, so every preset reads the same tokenizer.json; `large` is
// Cappy's own shape (RoBERTa-large).
import type { RobertaConfig } from './roberta-graph.js';

export type Preset = 'tiny' | 'small' | 'base' | 'large';

const common = { vocabSize: 50265, maxPositions: 514, padId: 1, layerNormEps: 1e-5, typeVocabSize: 1, numLabels: 1 };

export const PRESETS: Record<Preset, RobertaConfig> = {
  tiny: { ...common, hidden: 32, layers: 2, heads: 2, intermediate: 64 },
  small: { ...common, hidden: 256, layers: 4, heads: 4, intermediate: 1024 },
  base: { ...common, hidden: 768, layers: 12, heads: 12, intermediate: 3072 },
  large: { ...common, hidden: 1024, layers: 24, heads: 16, intermediate: 4096 },
};

export function isPreset(p: unknown): p is Preset {
  return typeof p === 'string' && Object.hasOwn(PRESETS, p);
}
