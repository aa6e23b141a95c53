// A deterministic (seeded) corpus for tokenizer parity: prose, code, CJK,
// emoji and every Unicode edge case anchors.md lists, as singles and pairs,
// with some texts long enough that truncation at 512 tokens bites.

export type CorpusItem = string | [string, string];

import { seededRandom as rng } from '../lib/util/seeded-random.js';

export { rng };

const WORDS = (
  'the of and to in is was for on that with as by at from his her it an were are which this be or has had ' +
  'Hello world Tokenizer tokenization naïve café résumé Zürich São Paulo Ærøskøbing Straße ' +
  'running jumped quickly ALL CAPS MixedCase camelCase snake_case kebab-case http://example.com/a?b=c&d=e ' +
  'user@example.org 3.14159 1,000,000 2024-01-31 12:30pm $42.50 100% #hashtag @mention ...'
).split(' ');

const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "'x", "'"];

const CODE = [
  'function f(x) { return x * 2; }',
  'for (let i = 0; i < n; i++) {\n\tsum += a[i];\n}',
  'def main():\n    print("hi")\n\n\nif __name__ == "__main__":\n    main()',
  '#include <stdio.h>\nint main(void){printf("%d\\n",42);}',
  'SELECT * FROM users WHERE id = 1;  -- comment',
  '<div class="a"><span>text</span></div>',
  'x => x ?? y?.z ?: 0 !== 1 && a || b',
  '    indented\n        more\n\t\tTabs\r\n',
];

const CJK = ['中文分词测试', '日本語のテキスト', '한국어 텍스트', '漢字とかなカナ', '繁體中文，標點。', '𠀀𠀁𪚥'];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️', '🇯🇵', '🧑🏿‍💻', '✨', '😺'];

/** Whitespace and near-whitespace the pre-tokenizer must classify exactly. */
export const EDGE_CHARS = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '\u00a0',
  '\u0085',
  '\u3000',
  '\u2028',
  '\u2029',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u202f',
  '\u205f',
  '\u200b',
  '\ufeff',
  '\u001c',
  '\u001d',
  '\u001e',
  '\u001f',
  '\u180e',
  '\u200c',
  '\u200d',
  '\u0301',
  '\u0308',
  '\u20dd',
  '\u00b2',
  '\u00bd',
  '\u2167',
  '\u0660',
  '\u00ad',
  '\u0000',
  '\u007f',
  '\ud800',
  '\udfff',
  '\ud83d',
  '\uffff',
  '\ufffd',
  '\u{10ffff}',
  '\u{e0001}',
];

const SPECIALS = ['<s>', '</s>', '<mask>', '<pad>', '<unk>', '<s', 's>', '<mask', '<|endoftext|>'];

/** Hand-picked strings, each an anchors.md case or a known trap. */
export const EDGE_STRINGS: string[] = [
  '',
  ' ',
  '  ',
  'a',
  ' a',
  'a ',
  'a  ',
  '  a',
  'a\t\tb',
  'a \t b',
  'a\n\n\nb',
  'a\r\n\r\nb',
  '\t',
  '\n\n',
  "I'M",
  "I'm",
  "we're WE'RE",
  "they'll THEY'LL",
  "it's IT'S",
  "don't DON'T",
  "'s",
  " 's",
  "''s",
  "?'s",
  "'''",
  'e\u0301t',
  'é',
  'e\u0301',
  'x\u00b2',
  '\u00b2\u00b3',
  'Ⅻ',
  'a\u00a0b',
  'a\u0085b',
  'a\u3000b',
  'a\u2028b',
  'a\u1680b',
  'a\u200bb',
  'a\ufeffb',
  'a\u001cb',
  'a\u001fb',
  '\u00a0\u00a0x',
  'x\u3000\u3000',
  ' \u00a0 x',
  'Hello <mask> world',
  'Hello<mask>world',
  'Hello  <mask>  world',
  '<mask>',
  ' <mask>',
  '<mask> ',
  '\t<mask>',
  '<s>',
  '</s>',
  '<s></s>',
  'a<s>b',
  ' <s> ',
  '<pad><unk>',
  '<s <mask',
  '<mask><mask>',
  'x </s> y',
  '\ud800',
  'a\udfffb',
  '\ud83d\ude00\ud83d',
  'x\ud800\ud800y',
  '😀',
  '👨‍👩‍👧‍👦',
  '中文',
  ' 中文',
  '1234567890',
  ' 12 34',
  '3.14',
  '-1',
  '$$$',
  '...',
  '!!!???',
  ' !',
  '\u0000',
  'tab\there',
  'end\n',
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

/** A code point from anywhere in Unicode, weighted toward the interesting parts. */
function randomCodePoint(r: () => number): string {
  const x = r();
  let cp: number;
  if (x < 0.4) cp = 0x20 + Math.floor(r() * 0x5f);
  else if (x < 0.6) cp = 0x80 + Math.floor(r() * 0x780);
  else if (x < 0.85) cp = Math.floor(r() * 0x10000);
  else cp = 0x10000 + Math.floor(r() * 0x100000);
  // Lone surrogates stay in on purpose: the binding must turn them into U+FFFD as HF does.
  return String.fromCharCode(...(cp < 0x10000 ? [cp] : [0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)]));
}

function fragment(r: () => number): string {
  const x = r();
  if (x < 0.35) return pick(r, WORDS);
  if (x < 0.45) return pick(r, WORDS) + pick(r, CONTRACTIONS);
  if (x < 0.52) return pick(r, CODE);
  if (x < 0.6) return pick(r, CJK);
  if (x < 0.66) return pick(r, EMOJI);
  if (x < 0.76) return pick(r, EDGE_CHARS);
  if (x < 0.82) return pick(r, SPECIALS);
  if (x < 0.92) {
    let s = '';
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) s += randomCodePoint(r);
    return s;
  }
  return pick(r, [' ', '  ', '\t', '\n', '\n\n', ' \n ', '\t\t', '   ', '\r\n']);
}

const SEPARATORS = [' ', ' ', ' ', ' ', '', '\n', '\t', '  ', ', ', '. '];

/** One text of roughly `fragments` pieces. */
export function randomText(r: () => number, fragments: number): string {
  let s = '';
  for (let i = 0; i < fragments; i++) s += fragment(r) + pick(r, SEPARATORS);
  if (r() < 0.3) s = s.trimEnd();
  return s;
}

function randomLength(r: () => number): number {
  const x = r();
  if (x < 0.5) return 1 + Math.floor(r() * 8);
  if (x < 0.85) return 8 + Math.floor(r() * 60);
  if (x < 0.95) return 60 + Math.floor(r() * 200);
  return 300 + Math.floor(r() * 900); // well over 512 tokens
}

/** `count` items (at least EDGE_STRINGS as singles and as pairs), deterministic for a seed. */
export function makeCorpus(count = 10_000, seed = 20240531): CorpusItem[] {
  const r = rng(seed);
  const items: CorpusItem[] = [...EDGE_STRINGS];
  for (let i = 0; i < EDGE_STRINGS.length; i++) items.push([EDGE_STRINGS[i], pick(r, EDGE_STRINGS)]);
  while (items.length < count) {
    const a = randomText(r, randomLength(r));
    items.push(r() < 0.6 ? a : [a, randomText(r, randomLength(r))]);
  }
  return items;
}

// ---------------------------------------------------------------- fuzz strings
// Differential fuzzing draws from a pool of tricky pieces rather than uniform
// code points: uniform draws almost never hit the cases where tokenizers
// disagree (a space before a combining mark, a contraction after a ZWJ, a
// special token glued to a surrogate half).

/** Pieces the fuzzer glues together, grouped by the trap each one sets. */
export const FUZZ_POOL: readonly string[] = [
  // whitespace, Unicode White_Space and look-alikes that are not
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\v',
  '\f',
  '\u00a0',
  '\u0085',
  '\u1680',
  '\u2000',
  '\u2007',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\u180e',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  // combining marks and letters that take them
  '\u0301',
  '\u0308',
  '\u0327',
  '\u0300\u0301',
  '\u20dd',
  '\u0e31',
  '\u093f',
  '\u05b7',
  'e\u0301',
  'a\u030a',
  'ı',
  'İ',
  'ß',
  'ẞ',
  // emoji, ZWJ sequences, flags, modifiers, variation selectors
  '😀',
  '👍🏽',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '❤️',
  '🇯🇵',
  '🧑🏿‍💻',
  '\ufe0f',
  '\ufe0e',
  '\u{1f3fb}',
  '\u{e0067}',
  '#️⃣',
  // controls and noncharacters
  '\u0000',
  '\u0001',
  '\u001b',
  '\u001c',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u009f',
  '\u00ad',
  '\ufffe',
  '\uffff',
  '\u{10ffff}',
  '\ufffd',
  // contractions, in every case, and apostrophe look-alikes
  "'s",
  "'t",
  "'re",
  "'ve",
  "'m",
  "'ll",
  "'d",
  "'S",
  "'T",
  "'RE",
  "'Ve",
  "'M",
  "'LL",
  "'D",
  "'",
  "''",
  '\u2019s',
  '`s',
  // special-token text, whole and broken
  '<s>',
  '</s>',
  '<pad>',
  '<unk>',
  '<mask>',
  '[CLS]',
  '[SEP]',
  '[UNK]',
  '[MASK]',
  '[PAD]',
  '<s',
  '/s>',
  '<mask',
  'mask>',
  '<|endoftext|>',
  '▁',
  // lone surrogates (both sides must see U+FFFD)
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ud83d',
  '\ude00',
  // letters, numbers and punctuation from many scripts
  'a',
  'Z',
  'hello',
  'World',
  'CAPS',
  '123',
  '0',
  '3.14',
  '²',
  '½',
  'Ⅻ',
  '٣',
  '߀',
  '中',
  '文字',
  'の',
  'カナ',
  '한국어',
  'ё',
  'Ωμέγα',
  'עברית',
  'العربية',
  'हिन्दी',
  'ไทย',
  '𠀀',
  '𝔘𝔫𝔦',
  'ﬁ',
  'Ａ',
  '１',
  '.',
  ',',
  '!',
  '?',
  '-',
  '_',
  '...',
  '—',
  '–',
  '«»',
  '“',
  '”',
  '$',
  '€',
  '%',
  '#',
  '@',
  '/',
  '\\',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '<',
  '>',
  '=',
  '+',
  '*',
  '&',
  '|',
  '^',
  '~',
  ':',
  ';',
  '"',
];

/** One fuzz string: 0-40 pool pieces, sometimes with a random code point mixed in. */
export function fuzzString(r: () => number): string {
  const n = Math.floor(r() * r() * 41);
  let s = '';
  for (let i = 0; i < n; i++) s += r() < 0.9 ? pick(r, FUZZ_POOL) : randomCodePoint(r);
  return s;
}
