// longest_first on pairs with an odd budget (BERT: 512 - 3 = 509), where HF
// decides which side gets the extra token by where it stops reading each
// text: at the first word end at or past max_length. A many-piece word that
// straddles token 512 makes its side the longer one. Ids are compared with HF
// tokenizers on texts built to sit on each side of that edge.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForgedBertTokenizerJson, buildRobertaTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { hfTokenizer } from '../../support/hf.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-longest-first-'));
  await writeFile(join(root, 'bert.json'), JSON.stringify(buildForgedBertTokenizerJson(4000)));
  await writeFile(join(root, 'roberta.json'), JSON.stringify(buildRobertaTokenizerJson()));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Texts of `k` one-token words, then a many-piece word, then more words; against a long second text. */
function edgeCases(one: string, many: string): [string, string][] {
  const cases: [string, string][] = [];
  for (const k of [505, 508, 509, 510, 511, 512, 513]) {
    const straddling = `${Array(k).fill(one).join(' ')} ${many} ${one} ${one}`;
    const long = Array(600).fill(one).join(' ');
    cases.push([straddling, long], [long, straddling], [straddling, straddling]);
  }
  return cases;
}

describe('longest_first with an odd budget matches HF at the word edge', () => {
  it.each([
    ['bert', 512, 'the', 'zyzzyvaq'],
    ['roberta', 511, ' the', ' zyzzyvaqxx'],
  ])('%s, max_length %i', async (name, maxLength, one, many) => {
    const path = join(root, `${name}.json`);
    const hf = hfTokenizer(path, maxLength, 'LongestFirst');
    const mine = await Tokenizer.fromFile(path, { maxLength, truncation: 'longest_first' });
    let lengths = new Set<number>();
    for (const [a, b] of edgeCases(one.trim(), many.trim())) {
      const want = (await hf.encode(a, b, { addSpecialTokens: true })).getIds();
      const got = Array.from(mine.encode(a, b).ids);
      expect(got).toEqual(want);
      lengths = lengths.add(want.length);
    }
    expect(lengths).toEqual(new Set([maxLength]));
  });
});
