// Pathological inputs must stay linear in time: one 10 MB word with no
// spaces, 1M spaces, and a long run of one repeated character, each timed at
// 1/8, 1/4, 1/2 and the full size. A linear tokenizer keeps the same MB/s at
// every size; the "growth" column is (time per byte at full size) / (time per
// byte at 1/8 size), about 1 when linear and about 8 when quadratic.
//
//   npx tsx bench/tokenize-linearity.ts [--scale 1] [--hf] [--model roberta|xlmr]
//
// --hf also times HF tokenizers on the same inputs (slow on the big ones).
// --model xlmr runs an XLM-R-shaped Unigram file whose normalizer is a
// Precompiled charsmap (support/charsmap.ts) plus Replace " {2,}", and
// adds the cases that stress it: one grapheme cluster of a million combining
// marks (looked up one character at a time) and a million ZWJ-joined emoji.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Tokenizer } from '../lib/tokenizer/index.js';
import { buildRobertaTokenizerJson } from '../lib/forge/tokenizer-json.js';
import { rng } from '../support/corpus.js';
import { buildUnigramTokenizerJson, xlmrNormalizer } from '../support/unigram-json.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    hf: { type: 'boolean', default: false },
    model: { type: 'string', default: 'roberta' },
  },
});
const SCALE = Number(args.scale);
if (args.model !== 'roberta' && args.model !== 'xlmr') throw new Error('--model must be roberta or xlmr');
const jsonText = JSON.stringify(
  args.model === 'xlmr'
    ? buildUnigramTokenizerJson({
        texts: ['text'],
        normalizer: xlmrNormalizer(),
      })
    : buildRobertaTokenizerJson(),
);
const ours = Tokenizer.fromJSON(jsonText);
const require = createRequire(import.meta.url);
const { Tokenizer: Hf } = require('tokenizers') as {
  Tokenizer: { fromString(s: string): { encode(s: string): Promise<{ getIds(): number[] }> } };
};
const hf = Hf.fromString(jsonText);

function randomWord(n: number): string {
  const r = rng(7);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let s = '';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    s += letters[Math.floor(r() * 26)];
    if (s.length === 65536) {
      parts.push(s);
      s = '';
    }
  }
  parts.push(s);
  return parts.join('');
}

const CASES: { name: string; full: number; make: (n: number) => string }[] = [
  { name: '10 MB word, random letters, no spaces', full: 10_000_000, make: randomWord },
  { name: '1M spaces', full: 1_000_000, make: (n) => ' '.repeat(n) },
  { name: '1M spaces then a word', full: 1_000_000, make: (n) => ' '.repeat(n) + 'x' },
  { name: '10 MB of one repeated letter', full: 10_000_000, make: (n) => 'a'.repeat(n) },
  { name: '4 MB of one repeated CJK character', full: 4_000_000, make: (n) => '中'.repeat(Math.floor(n / 3)) },
  { name: '10 MB of "<" (added-token prefixes)', full: 10_000_000, make: (n) => '<'.repeat(n) },
  { name: '2 MB of "\'s" contractions', full: 2_000_000, make: (n) => "'s".repeat(n / 2) },
];
if (args.model === 'xlmr') {
  CASES.push(
    { name: 'one cluster: a + 1M combining marks', full: 2_000_000, make: (n) => 'a' + '\u0301'.repeat(n / 2) },
    { name: '1M emoji joined by ZWJ (one cluster)', full: 7_000_000, make: (n) => '\u{1F600}\u200D'.repeat(n / 7) },
    { name: '4 MB of fullwidth letters (all mapped)', full: 4_000_000, make: (n) => '\uFF21'.repeat(n / 3) },
  );
}

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

console.log('case'.padEnd(42) + 'size'.padStart(10) + 'cappy s'.padStart(10) + 'MB/s'.padStart(9) + (args.hf ? 'HF s'.padStart(10) : ''));
let worst = 0;
for (const c of CASES) {
  const full = Math.floor(c.full * SCALE);
  let first = 0;
  let last = 0;
  for (const div of [8, 4, 2, 1]) {
    const text = c.make(Math.floor(full / div));
    const bytes = Buffer.byteLength(text);
    // Best of 3 on a shared machine: noise only ever adds time.
    const secs = Math.min(
      time(() => ours.encode(text)),
      time(() => ours.encode(text)),
      time(() => ours.encode(text)),
    );
    let hfCol = '';
    if (args.hf) hfCol = (await timeAsync(() => hf.encode(text))).toFixed(3).padStart(10);
    console.log(
      `${div === 8 ? c.name : ''}`.padEnd(42) +
        String(bytes).padStart(10) +
        secs.toFixed(3).padStart(10) +
        (bytes / 1e6 / secs).toFixed(1).padStart(9) +
        hfCol,
    );
    if (div === 8) first = secs / bytes;
    if (div === 1) last = secs / bytes;
  }
  const growth = last / first;
  worst = Math.max(worst, growth);
  console.log(''.padEnd(42) + `growth (time/byte, full vs 1/8): ${growth.toFixed(2)}`);
}
console.log(`\nworst growth: ${worst.toFixed(2)} (1 = linear, 8 = quadratic)`);
