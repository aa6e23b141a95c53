// HF `tokenizers` (the official Rust binding) as the tokenizer oracle.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface HfEncoding {
  getIds(): number[];
  getTypeIds(): number[];
}
export interface HfTokenizer {
  encode(a: string, b?: string | null, o?: { addSpecialTokens?: boolean }): Promise<HfEncoding>;
  /** Single strings only: the Node binding's encodeBatch takes no pairs. */
  encodeBatch(items: string[], o?: { addSpecialTokens?: boolean }): Promise<HfEncoding[]>;
  setTruncation(maxLength: number, o?: { strategy?: string }): void;
}

/** The binding's Tokenizer class: `Hf.fromString(tokenizerJsonText)`. */
export const Hf = (require('tokenizers') as { Tokenizer: { fromString(s: string): HfTokenizer } }).Tokenizer;

/** Loads tokenizer.json into HF tokenizers, optionally with truncation (Cappy: 512, LongestFirst). */
export function hfTokenizer(path: string, maxLength?: number, strategy = 'LongestFirst'): HfTokenizer {
  const { Tokenizer } = require('tokenizers') as { Tokenizer: { fromString(s: string): HfTokenizer } };
  const tok = Tokenizer.fromString(readFileSync(path, 'utf8'));
  if (maxLength !== undefined) tok.setTruncation(maxLength, { strategy });
  return tok;
}

/** HF ids for every pair. The Node binding's encodeBatch takes single strings only, so pairs go one by one. */
export async function hfEncodePairs(tok: HfTokenizer, pairs: readonly (readonly [string, string])[]): Promise<number[][]> {
  return Promise.all(pairs.map(async ([a, b]) => (await tok.encode(a, b, { addSpecialTokens: true })).getIds()));
}

/** HF ids and segment (type) ids for every pair, one by one. */
export async function hfEncodePairsWithTypes(
  tok: HfTokenizer,
  pairs: readonly (readonly [string, string])[],
): Promise<{ ids: number[]; typeIds: number[] }[]> {
  return Promise.all(
    pairs.map(async ([a, b]) => {
      const e = await tok.encode(a, b, { addSpecialTokens: true });
      return { ids: e.getIds(), typeIds: e.getTypeIds() };
    }),
  );
}
