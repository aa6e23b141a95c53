// Unigram encodings, ours against HF tokenizers 0.23, for the parity suites:
// the same tokenizer.json on both sides, singles and pairs, with or without
// truncation, and a readable report per mismatching item.
import { Tokenizer, type TruncationStrategy } from '../../lib/tokenizer/index.js';
import type { CorpusItem } from '../../support/corpus.js';
import { Hf } from '../../support/hf.js';
import { sameIds as same } from './same-ids.js';

const HF_STRATEGY: Record<TruncationStrategy, string> = {
  longest_first: 'LongestFirst',
  only_first: 'OnlyFirst',
  only_second: 'OnlySecond',
};

/**
 * Mismatch reports between ours and HF over `items`. HF's encodeBatch takes
 * singles (in parallel); pairs go one by one. Under only_first / only_second
 * some items cannot fit and HF errors on them: there both sides must error.
 */
export async function compareUnigram(
  json: object,
  items: CorpusItem[],
  maxLength?: number,
  strategy: TruncationStrategy = 'longest_first',
): Promise<string[]> {
  const text = JSON.stringify(json);
  const hf = Hf.fromString(text);
  if (maxLength) hf.setTruncation(maxLength, { strategy: HF_STRATEGY[strategy] });
  const ours = Tokenizer.fromJSON(text, maxLength ? { maxLength, truncation: strategy } : {});
  type Ids = ArrayLike<number> | 'error';
  const want: Ids[] = new Array(items.length);
  const got: Ids[] = new Array(items.length);
  const singles = items.flatMap((x, i) => (typeof x === 'string' ? [i] : []));
  const pairs = items.flatMap((x, i) => (typeof x === 'string' ? [] : [i]));
  if (strategy === 'longest_first') {
    const packed = await ours.encodeBatchPacked(items);
    for (let i = 0; i < items.length; i++) got[i] = packed.ids.subarray(packed.offsets[i], packed.offsets[i + 1]);
    const encs = await hf.encodeBatch(singles.map((i) => items[i] as string));
    singles.forEach((i, k) => (want[i] = encs[k].getIds()));
  } else {
    for (const i of [...singles, ...pairs]) {
      const x = items[i];
      try {
        got[i] = typeof x === 'string' ? ours.encode(x).ids : ours.encode(x[0], x[1]).ids;
      } catch {
        got[i] = 'error';
      }
    }
    for (const i of singles) {
      try {
        want[i] = (await hf.encode(items[i] as string)).getIds();
      } catch {
        want[i] = 'error';
      }
    }
  }
  for (let k = 0; k < pairs.length; k += 256) {
    await Promise.all(
      pairs.slice(k, k + 256).map(async (i) => {
        const [a, b] = items[i] as [string, string];
        try {
          want[i] = (await hf.encode(a, b)).getIds();
        } catch {
          want[i] = 'error';
        }
      }),
    );
  }
  const bad: string[] = [];
  const show = (v: Ids) => (v === 'error' ? v : Array.from(v).slice(0, 30).join(','));
  for (let i = 0; i < items.length; i++) {
    const w = want[i];
    const g = got[i];
    const ok = w === 'error' || g === 'error' ? w === g : same(w, g);
    if (!ok) bad.push(`#${i} ${JSON.stringify(items[i]).slice(0, 160)}\n  hf   ${show(w)}\n  ours ${show(g)}`);
  }
  return bad;
}
