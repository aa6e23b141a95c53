// Pairs of chosen token lengths, built from words with the model's own
// tokenizer: what warm-up runs before a model takes traffic, and what the
// benchmark workloads (lib/bench/workload.ts) score. Each word is tokenized
// once (cached) with its leading space; the GPT-2 pre-tokenizer splits on
// that space, so a pair's token count is the sum of its words' counts and
// every pair hits its target exactly when a one-token filler word exists.
import { InvalidInputError } from '../errors/index.js';
import { seededRandom } from '../util/seeded-random.js';
import type { Tokenizer } from './index.js';

/** Everyday English words: the default word source when no real text is given. */
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were ' +
  'her she there been one all we their has would when if so no will more what up out about who some could them than can ' +
  'other time these two may then do first any my now such like our over man me even most made after also did many before ' +
  'must through back years where much your way well down should because each just those people how too little state good ' +
  'very make world still own see men work long get here between both life being under never day same another know while ' +
  'last might us great old year off come since against go came right used take three question answer model score text'
).split(' ');

const SPECIAL_TOKENS_PER_PAIR = 4;

/**
 * Builds pairs with exactly the drawn token lengths (when reachable). Words
 * come from `words` in order, starting at a seeded offset, so real text keeps
 * its word order; the default is a fixed list of common English words.
 */
export function synthesizePairs(
  tokenizer: Tokenizer,
  lengths: readonly number[],
  opts: { seed?: number; words?: readonly string[] } = {},
): [string, string][] {
  const words = (opts.words ?? WORDS).filter((w) => w.length > 0 && !/\s/.test(w));
  if (words.length === 0) throw new InvalidInputError('synthesizePairs needs at least one word');
  const random = seededRandom(opts.seed ?? 1);
  const cost = new Map<string, number>();
  const tokensOf = (piece: string): number => {
    let c = cost.get(piece);
    if (c === undefined) {
      c = tokenizer.encode(piece).ids.length - 2; // <s> ... </s>
      cost.set(piece, c);
    }
    return c;
  };
  const filler = [' the', ' a', ' of', ' and', ' to', ' .'].find((w) => tokensOf(w) === 1);

  // Appends words until `budget` tokens are used; returns the text.
  let cursor = Math.floor(random() * words.length);
  const fill = (budget: number): string => {
    let text = '';
    let used = 0;
    let misses = 0;
    while (used < budget && misses < 64) {
      const w = words[cursor];
      cursor = (cursor + 1) % words.length;
      const piece = text === '' ? w : ' ' + w;
      const c = tokensOf(piece);
      if (c > 0 && used + c <= budget) {
        text += piece;
        used += c;
        misses = 0;
      } else {
        misses++;
      }
    }
    // Top up with a one-token word; a text must not be empty.
    while (used < budget && filler) {
      const piece = text === '' ? filler.trimStart() : filler;
      text += piece;
      used += Math.max(1, tokensOf(piece));
    }
    return text === '' ? words[0] : text;
  };

  return lengths.map((total) => {
    const body = Math.max(2, total - SPECIAL_TOKENS_PER_PAIR);
    // Instructions are the short side (a quarter, at most 64 tokens).
    const instr = Math.max(1, Math.min(64, Math.round(body / 4)));
    return [fill(instr), fill(body - instr)];
  });
}
