// Cappy's two everyday uses, as plain functions over scores: rank candidates
// (best-of-N over LLM samples) and choose the argmax (multiple choice).
import { InvalidInputError } from '../errors/index.js';

export interface Ranked {
  index: number;
  score: number;
}

/** Candidates sorted by score, descending; ties keep input order. */
export function rankScores(scores: Float32Array, topK?: number): Ranked[] {
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
    throw new InvalidInputError(`topK must be a positive integer, got ${String(topK)}`);
  }
  const ranked = Array.from(scores, (score, index) => ({ index, score }));
  ranked.sort((a, b) => b.score - a.score || a.index - b.index);
  return topK === undefined ? ranked : ranked.slice(0, topK);
}

/** The argmax; the first one on ties. */
export function argmax(scores: Float32Array): Ranked {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return { index: best, score: scores[best] };
}

export function checkCandidates(instruction: unknown, candidates: unknown): asserts candidates is string[] {
  if (typeof instruction !== 'string') throw new InvalidInputError('instruction must be a string');
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new InvalidInputError('candidates must be a non-empty array of strings');
  }
  candidates.forEach((c, i) => {
    if (typeof c !== 'string') throw new InvalidInputError(`candidates[${i}] must be a string, got ${typeof c}`);
  });
}
