// The Tokenizer's options (Tokenizer.fromFile, Tokenizer.fromJSON), declared
// with the same specs the Scorer's maxLength and truncation use, so both
// check a value the same way and say so in the same words. The one
// difference is the smallest length: a tokenizer may encode a single text
// into as few as 1 token, a scorer's pair needs its 4 special tokens and 1 more.
import { integer, oneOf, type OptionSpec } from './spec.js';

/** How a pair over the max length is cut (HF tokenizers' TruncationStrategy, in snake case). */
export const TRUNCATION_STRATEGIES = ['longest_first', 'only_first', 'only_second'] as const;
export type TruncationStrategy = (typeof TRUNCATION_STRATEGIES)[number];

/** The maxLength spec: the longest encoding, special tokens included. */
export function maxLengthSpec(o: { min: number; help: string; defaultText?: string }): OptionSpec<number> {
  return integer({ ...o });
}

export const TOKENIZER_OPTIONS = {
  /** Longest encoding, special tokens included. Alone it implies truncation (the file's strategy, else longest_first). */
  maxLength: maxLengthSpec({
    min: 1,
    help: 'longest encoding, special tokens included',
    defaultText: "tokenizer.json's truncation, else none",
  }),
  /** Default: what tokenizer.json's own `truncation` says, else longest_first when a maxLength is given. */
  truncation: oneOf(TRUNCATION_STRATEGIES, {
    help: 'how a pair over maxLength is cut',
    defaultText: "tokenizer.json's, else longest_first",
  }),
} as const;
