#!/usr/bin/env node
// Generates the Unicode property tables the native pre-tokenizer needs, from
// the ICU data inside the Node that runs this script (never by hand), so the
// tables always say which Unicode version they came from.
//
// Usage: node scripts/gen-unicode-tables.mjs <out.inc>
//
// Properties, exactly as the GPT-2 regex of HF tokenizers means them:
//   L  = \p{L}            letters (no combining marks)
//   N  = \p{N}            numbers (Nd, Nl, No: `²` counts)
//   WS = \p{White_Space}  (not JS `\s`, which adds U+FEFF)
//
// Output: sorted range tables (kept for tests and for readers), plus a
// two-stage lookup table: stage 1 maps cp >> 8 to a block of 256 flag bytes,
// stage 2 holds the deduplicated blocks. One lookup is two loads for every
// code point, with no branch on plane, and the tables stay small (~40 KB)
// because most 256-code-point blocks repeat (all-letter CJK, unassigned...).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stageTables } from './two-stage-table.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: gen-unicode-tables.mjs <out.inc>');
  process.exit(2);
}

const MAX = 0x10ffff;
const FLAG_L = 1;
const FLAG_N = 2;
const FLAG_WS = 4;
// BERT (WordPiece) pipeline bits, as HF's BertNormalizer/BertPreTokenizer mean them.
const FLAG_BERT_PUNCT = 8; // isolated by BertPreTokenizer: ASCII punctuation or \p{P}
const FLAG_BERT_CONTROL = 16; // removed by clean_text: NUL, U+FFFD, Cc/Cf/Co except \t \n \r
const FLAG_CHINESE = 32; // padded with spaces by handle_chinese_chars
const FLAG_MN = 64; // removed by strip_accents after NFD
const FLAG_MAPPED = 128; // has a lowercase or NFD mapping (kLowerMap / kNfdMap)
const reL = /^\p{L}$/u;
const reN = /^\p{N}$/u;
const reWS = /^\p{White_Space}$/u;

// HF tokenizers 0.23 matches its regexes with Oniguruma, whose property
// tables are Unicode 16.0. The tables must say what HF's engine says, not
// what the newest Unicode says, or ids differ on new characters. Unicode 17.0
// assigned these letters and numbers (CJK Ext. J, Sidetic, Tolong Siki, ...);
// to Unicode 16.0 they are unassigned, so "other". Found by classifying every
// code point through HF's own ByteLevel pre-tokenizer against \p{L}/\p{N}
// in a Unicode 17.0 Node: these are the only differences.
const TARGET_UNICODE = '16.0';
const ADDED_IN_17 = [
  [0x88F, 0x88F], [0xC5C, 0xC5C], [0xCDC, 0xCDC], [0xA7CE, 0xA7CF], [0xA7D2, 0xA7D2], [0xA7D4, 0xA7D4],
  [0xA7F1, 0xA7F1], [0x10940, 0x10959], [0x10EC5, 0x10EC7], [0x11DB0, 0x11DDB], [0x11DE0, 0x11DE9], [0x16EA0, 0x16EB8],
  [0x16EBB, 0x16ED3], [0x16FF2, 0x16FF3], [0x16FF4, 0x16FF6], [0x187F8, 0x187FF], [0x18D09, 0x18D1E], [0x18D80, 0x18DF2],
  [0x1E6C0, 0x1E6DE], [0x1E6E0, 0x1E6E2], [0x1E6E4, 0x1E6E5], [0x1E6E7, 0x1E6ED], [0x1E6F0, 0x1E6F4], [0x1E6FE, 0x1E6FF],
  [0x2B73A, 0x2B73F], [0x2CEA2, 0x2CEAD], [0x323B0, 0x33479],
];
const nodeUnicodeMajor = Number(process.versions.unicode.split('.')[0]);
if (nodeUnicodeMajor > 17 || nodeUnicodeMajor < 16) {
  console.warn(`gen-unicode-tables: Node's Unicode is ${process.versions.unicode}; HF tokenizers uses ${TARGET_UNICODE}. ` +
    'Characters assigned in between may tokenize differently from HF.');
}

const flags = new Uint8Array(MAX + 1);
for (let cp = 0; cp <= MAX; cp++) {
  // Surrogates cannot stand alone in a /u regex test; they are none of L/N/WS.
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  let f = 0;
  if (reL.test(s)) f |= FLAG_L;
  if (reN.test(s)) f |= FLAG_N;
  if (reWS.test(s)) f |= FLAG_WS;
  flags[cp] = f;
}
if (nodeUnicodeMajor >= 17) {
  for (const [a, b] of ADDED_IN_17) for (let cp = a; cp <= b; cp++) flags[cp] = 0;
}

// HF's BERT normalizer and pre-tokenizer take their categories from Rust
// crates with older tables than its regex engine, so a few code points differ
// from Unicode 16/17. Found by running every code point through HF's own
// bertNormalizer / bertPreTokenizer (tokenizers 0.23) against Node's ICU;
// these lists are the only differences (the lowercase and NFD mappings agree).
const BERT_NOT_PUNCT = [ // \p{P} today, not punctuation to HF
  [0x61D, 0x61D], [0x9FD, 0x9FD], [0xA76, 0xA76], [0xC77, 0xC77], [0xC84, 0xC84], [0x1B4E, 0x1B4F],
  [0x1B7D, 0x1B7F], [0x2E43, 0x2E4F], [0x2E52, 0x2E5D], [0x10D6E, 0x10D6E], [0x10EAD, 0x10EAD], [0x10ED0, 0x10ED0],
  [0x10F55, 0x10F59], [0x10F86, 0x10F89], [0x113D4, 0x113D5], [0x113D7, 0x113D8], [0x1144B, 0x1144F], [0x1145A, 0x1145B],
  [0x1145D, 0x1145D], [0x11660, 0x1166C], [0x116B9, 0x116B9], [0x1183B, 0x1183B], [0x11944, 0x11946], [0x119E2, 0x119E2],
  [0x11A3F, 0x11A46], [0x11A9A, 0x11A9C], [0x11A9E, 0x11AA2], [0x11B00, 0x11B09], [0x11BE1, 0x11BE1], [0x11C41, 0x11C45],
  [0x11C70, 0x11C71], [0x11EF7, 0x11EF8], [0x11F43, 0x11F4F], [0x11FFF, 0x11FFF], [0x12FF1, 0x12FF2], [0x16D6D, 0x16D6F],
  [0x16E97, 0x16E9A], [0x16FE2, 0x16FE2], [0x1E5FF, 0x1E5FF], [0x1E95E, 0x1E95F],
];
const BERT_PUNCT = [[0x166D, 0x166D], [0x111C9, 0x111C9]]; // punctuation to HF only
const BERT_NOT_MN = [ // Mn today, kept by HF's strip_accents
  [0x7FD, 0x7FD], [0x897, 0x89F], [0x8CA, 0x8E1], [0x9FE, 0x9FE], [0xAFA, 0xAFF], [0xB55, 0xB55],
  [0xC04, 0xC04], [0xC3C, 0xC3C], [0xD00, 0xD00], [0xD3B, 0xD3C], [0xD81, 0xD81], [0xEBA, 0xEBA],
  [0xECE, 0xECE], [0x180F, 0x180F], [0x1885, 0x1886], [0x1ABF, 0x1ADD], [0x1AE0, 0x1AEB], [0x1DF6, 0x1DFB],
  [0xA82C, 0xA82C], [0xA8C5, 0xA8C5], [0xA8FF, 0xA8FF], [0xA9BD, 0xA9BD], [0x10D24, 0x10D27], [0x10D69, 0x10D6D],
  [0x10EAB, 0x10EAC], [0x10EFA, 0x10EFF], [0x10F46, 0x10F50], [0x10F82, 0x10F85], [0x11070, 0x11070], [0x11073, 0x11074],
  [0x110C2, 0x110C2], [0x111C9, 0x111C9], [0x111CF, 0x111CF], [0x1123E, 0x1123E], [0x11241, 0x11241], [0x1133B, 0x1133B],
  [0x113BB, 0x113C0], [0x113CE, 0x113CE], [0x113D0, 0x113D0], [0x113D2, 0x113D2], [0x113E1, 0x113E2], [0x11438, 0x1143F],
  [0x11442, 0x11444], [0x11446, 0x11446], [0x1145E, 0x1145E], [0x1182F, 0x11837], [0x11839, 0x1183A], [0x1193B, 0x1193C],
  [0x1193E, 0x1193E], [0x11943, 0x11943], [0x119D4, 0x119D7], [0x119DA, 0x119DB], [0x119E0, 0x119E0], [0x11A01, 0x11A0A],
  [0x11A33, 0x11A38], [0x11A3B, 0x11A3E], [0x11A47, 0x11A47], [0x11A51, 0x11A56], [0x11A59, 0x11A5B], [0x11A8A, 0x11A96],
  [0x11A98, 0x11A99], [0x11B60, 0x11B60], [0x11B62, 0x11B64], [0x11B66, 0x11B66], [0x11C30, 0x11C36], [0x11C38, 0x11C3D],
  [0x11C3F, 0x11C3F], [0x11C92, 0x11CA7], [0x11CAA, 0x11CB0], [0x11CB2, 0x11CB3], [0x11CB5, 0x11CB6], [0x11D31, 0x11D36],
  [0x11D3A, 0x11D3A], [0x11D3C, 0x11D3D], [0x11D3F, 0x11D45], [0x11D47, 0x11D47], [0x11D90, 0x11D91], [0x11D95, 0x11D95],
  [0x11D97, 0x11D97], [0x11EF3, 0x11EF4], [0x11F00, 0x11F01], [0x11F36, 0x11F3A], [0x11F40, 0x11F40], [0x11F42, 0x11F42],
  [0x11F5A, 0x11F5A], [0x13440, 0x13440], [0x13447, 0x13455], [0x1611E, 0x16129], [0x1612D, 0x1612F], [0x16F4F, 0x16F4F],
  [0x16FE4, 0x16FE4], [0x1CF00, 0x1CF2D], [0x1CF30, 0x1CF46], [0x1E000, 0x1E006], [0x1E008, 0x1E018], [0x1E01B, 0x1E021],
  [0x1E023, 0x1E024], [0x1E026, 0x1E02A], [0x1E08F, 0x1E08F], [0x1E130, 0x1E136], [0x1E2AE, 0x1E2AE], [0x1E2EC, 0x1E2EF],
  [0x1E4EC, 0x1E4EF], [0x1E5EE, 0x1E5EF], [0x1E6E3, 0x1E6E3], [0x1E6E6, 0x1E6E6], [0x1E6EE, 0x1E6EF], [0x1E6F5, 0x1E6F5],
  [0x1E944, 0x1E94A],
];
const BERT_MN = [[0x1734, 0x1734], [0x1171E, 0x1171E]]; // stripped by HF, not Mn today
const BERT_NOT_CONTROL = [[0x890, 0x891], [0x8E2, 0x8E2], [0x110CD, 0x110CD], [0x13430, 0x1343F]]; // Cf today, kept by HF's clean_text
// HF's handle_chinese_chars ranges, fixed in its source (not a property).
const CHINESE = [
  [0x4E00, 0x9FFF], [0x3400, 0x4DBF], [0x20000, 0x2A6DF], [0x2A700, 0x2B73F], [0x2B740, 0x2B81F],
  [0x2B920, 0x2CEAF], [0xF900, 0xFAFF], [0x2F800, 0x2FA1F],
];
const ASCII_PUNCT = /^[!-/:-@[-`{-~]$/;
const reP = /^\p{P}$/u;
const reMn = /^\p{Mn}$/u;
const reControl = /^[\p{Cc}\p{Cf}\p{Co}]$/u;
const setRanges = (list, flag, on) => {
  for (const [a, b] of list) for (let cp = a; cp <= b; cp++) flags[cp] = on ? flags[cp] | flag : flags[cp] & ~flag;
};
const lowerMap = [];
const nfdMap = [];
for (let cp = 0; cp <= MAX; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  let f = 0;
  if (ASCII_PUNCT.test(s) || reP.test(s)) f |= FLAG_BERT_PUNCT;
  if (cp === 0 || cp === 0xfffd || (reControl.test(s) && cp !== 9 && cp !== 10 && cp !== 13)) f |= FLAG_BERT_CONTROL;
  if (reMn.test(s)) f |= FLAG_MN;
  // One character at a time, as Rust's char::to_lowercase: no final-sigma context.
  const lower = s.toLowerCase();
  const nfd = s.normalize('NFD');
  if (lower !== s) lowerMap.push([cp, [...lower].map((c) => c.codePointAt(0))]);
  if (nfd !== s) nfdMap.push([cp, [...nfd].map((c) => c.codePointAt(0))]);
  if (lower !== s || nfd !== s) f |= FLAG_MAPPED;
  flags[cp] |= f;
}
setRanges(BERT_NOT_PUNCT, FLAG_BERT_PUNCT, false);
setRanges(BERT_PUNCT, FLAG_BERT_PUNCT, true);
setRanges(BERT_NOT_MN, FLAG_MN, false);
setRanges(BERT_MN, FLAG_MN, true);
setRanges(BERT_NOT_CONTROL, FLAG_BERT_CONTROL, false);
setRanges(CHINESE, FLAG_CHINESE, true);

// ---- Unicode normalization (NFC/NFD/NFKC/NFKD normalizers), from Node's own
// String.prototype.normalize, one code point at a time:
//   kNfkdMap     full compatibility decomposition (kNfdMap is the canonical one);
//   kNormStage*  per code point: bits 0-5 an order-preserving rank of the
//                canonical combining class (0 = starter), bit 6 has an NFD
//                mapping, bit 7 has an NFKD mapping;
//   kComposePairs the primary composites as (first, second) -> composite, for
//                canonical composition (Hangul is algorithmic in the C++).
// JS has no API for the combining class itself, but only its order matters
// to normalization, and normalize() shows the order: NFD(a b) swaps two
// non-starters exactly when ccc(a) > ccc(b).
//
// HF's NFx normalizers use older Unicode tables than Node (about 12.0; its
// regex engine is 16.0). Found by running every code point through HF's own
// nfkdNormalizer / nfdNormalizer (tokenizers 0.23) against Node 17.0's ICU,
// these are the only differences; the tables follow HF:
//   - characters HF does not decompose (compatibility and canonical mappings
//     added since), which therefore never compose either;
//   - marks HF treats as starters (class 0), which it never reorders.
const HF_NO_DECOMPOSITION = [
  [0x32FF, 0x32FF], [0xA7F1, 0xA7F4], [0xAB69, 0xAB69], [0x105C9, 0x105C9], [0x105E4, 0x105E4], [0x10781, 0x10785],
  [0x10787, 0x107B0], [0x107B2, 0x107BA], [0x11383, 0x11383], [0x11385, 0x11385], [0x1138E, 0x1138E], [0x11391, 0x11391],
  [0x113C5, 0x113C5], [0x113C7, 0x113C8], [0x11938, 0x11938], [0x16121, 0x16128], [0x16D68, 0x16D6A], [0x1CCD6, 0x1CCF9],
  [0x1E030, 0x1E06D], [0x1F16C, 0x1F16C], [0x1FBF0, 0x1FBF9],
];
const HF_STARTERS = [
  [0x7FD, 0x7FD], [0x897, 0x89F], [0x8CA, 0x8D3], [0x9FE, 0x9FE], [0xC3C, 0xC3C], [0xD3B, 0xD3C], [0xEBA, 0xEBA],
  [0x1715, 0x1715], [0x1ABF, 0x1ADD], [0x1AE0, 0x1AEB], [0x1DF6, 0x1DFA], [0xA82C, 0xA82C], [0x10D24, 0x10D27],
  [0x10D69, 0x10D6D], [0x10EAB, 0x10EAC], [0x10EFA, 0x10EFB], [0x10EFD, 0x10EFF], [0x10F46, 0x10F50], [0x10F82, 0x10F85],
  [0x11070, 0x11070], [0x1133B, 0x1133B], [0x113CE, 0x113D0], [0x1145E, 0x1145E], [0x11839, 0x1183A], [0x1193D, 0x1193E],
  [0x11943, 0x11943], [0x119E0, 0x119E0], [0x11A34, 0x11A34], [0x11A47, 0x11A47], [0x11A99, 0x11A99], [0x11D42, 0x11D42],
  [0x11D44, 0x11D45], [0x11D97, 0x11D97], [0x11F41, 0x11F42], [0x1612F, 0x1612F], [0x16FF0, 0x16FF1], [0x1E08F, 0x1E08F],
  [0x1E130, 0x1E136], [0x1E2AE, 0x1E2AE], [0x1E2EC, 0x1E2EF], [0x1E4EC, 0x1E4EF], [0x1E5EE, 0x1E5EF], [0x1E6E3, 0x1E6E3],
  [0x1E6E6, 0x1E6E6], [0x1E6EE, 0x1E6EF], [0x1E6F5, 0x1E6F5],
];
const inList = (list, cp) => list.some(([a, b]) => cp >= a && cp <= b);
const NORM_NFD = 0x40;
const NORM_NFKD = 0x80;
const nfkdMap = [];
const normProps = new Uint8Array(MAX + 1);
const nonStarters = [];
const U0345 = '\u0345'; // ccc 240, the highest class
const U0334 = '\u0334'; // ccc 1, the lowest non-zero class
for (let cp = 0; cp <= MAX; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  if (inList(HF_NO_DECOMPOSITION, cp)) continue; // a starter with no mapping, to HF
  const nfkd = s.normalize('NFKD');
  if (nfkd !== s) {
    nfkdMap.push([cp, [...nfkd].map((c) => c.codePointAt(0))]);
    normProps[cp] |= NORM_NFKD;
  }
  if (s.normalize('NFD') !== s) {
    normProps[cp] |= NORM_NFD;
    continue; // only characters that survive decomposition need a class
  }
  const reordersAfterHigh = (U0345 + s).normalize('NFD') === s + U0345;
  const reordersBeforeLow = (s + U0334).normalize('NFD') === U0334 + s;
  if ((reordersAfterHigh || reordersBeforeLow || cp === 0x345 || cp === 0x334) && !inList(HF_STARTERS, cp)) nonStarters.push(s);
}
// Sort the non-starters by class: a before b when NFD(b a) moves a first.
const classOrder = (a, b) => ((b + a).normalize('NFD') === a + b ? -1 : (a + b).normalize('NFD') === b + a ? 1 : 0);
nonStarters.sort(classOrder);
let rank = 0;
for (let i = 0; i < nonStarters.length; i++) {
  if (i === 0 || classOrder(nonStarters[i - 1], nonStarters[i]) !== 0) rank++;
  normProps[nonStarters[i].codePointAt(0)] |= rank;
}
if (rank >= 64) throw new Error(`gen-unicode-tables: ${rank} combining classes do not fit 6 bits`);
// Primary composites: C whose NFD is two or more characters and NFC(C) = C.
// Its pair is (NFC of all but the last, the last), checked by composing back.
const composePairs = [];
for (const [cp, to] of nfdMap) {
  if (cp >= 0xac00 && cp <= 0xd7a3) continue; // Hangul syllables: algorithmic
  if (to.length < 2) continue; // singletons never compose
  if (inList(HF_NO_DECOMPOSITION, cp)) continue;
  const s = String.fromCodePoint(cp);
  if (s.normalize('NFC') !== s) continue; // composition exclusion
  const first = String.fromCodePoint(...to.slice(0, -1)).normalize('NFC');
  const second = String.fromCodePoint(to[to.length - 1]);
  if ([...first].length !== 1 || (first + second).normalize('NFC') !== s) {
    throw new Error(`gen-unicode-tables: cannot find the composition pair of U+${cp.toString(16)}`);
  }
  composePairs.push([first.codePointAt(0), second.codePointAt(0), cp]);
}
function pairTable(name, pairs) {
  const rows = [];
  for (let i = 0; i < pairs.length; i += 4) rows.push('    ' + pairs.slice(i, i + 4).map(([a, b, c]) => `{${hex(a)}, ${hex(b)}, ${hex(c)}}`).join(', ') + ',');
  return `static const uint32_t ${name}[][3] = {\n${rows.join('\n')}\n};\nstatic const size_t ${name}Count = ${pairs.length};\n`;
}

const effectiveUnicode = nodeUnicodeMajor >= 17 ? `${TARGET_UNICODE} (Node's ${process.versions.unicode} less the 17.0 additions)` : process.versions.unicode;

function ranges(flag) {
  const r = [];
  let start = -1;
  for (let cp = 0; cp <= MAX + 1; cp++) {
    const on = cp <= MAX && (flags[cp] & flag) !== 0;
    if (on && start < 0) start = cp;
    if (!on && start >= 0) {
      r.push([start, cp - 1]);
      start = -1;
    }
  }
  return r;
}

const hex = (n) => '0x' + n.toString(16).toUpperCase();
function rangeTable(name, r) {
  const rows = [];
  for (let i = 0; i < r.length; i += 4) {
    rows.push('    ' + r.slice(i, i + 4).map(([a, b]) => `{${hex(a)}, ${hex(b)}}`).join(', ') + ',');
  }
  return `static const uint32_t ${name}[][2] = {\n${rows.join('\n')}\n};\n` +
    `static const size_t ${name}Count = ${r.length};\n`;
}

// A code point -> code points map: entries sorted by code point, each with
// an offset and length into one pool (binary search; only looked up for code
// points whose FLAG_MAPPED bit is set).
function mapTable(name, entries) {
  const pool = [];
  const rows = [];
  for (const [cp, to] of entries) {
    rows.push(`{${hex(cp)}, ${pool.length}, ${to.length}}`);
    pool.push(...to);
  }
  const chunk = (xs, n) => { const out = []; for (let i = 0; i < xs.length; i += n) out.push('    ' + xs.slice(i, i + n).join(', ') + ','); return out.join('\n'); };
  return `static const uint32_t ${name}Pool[${pool.length}] = {\n${chunk(pool.map(hex), 12)}\n};\n` +
    `static const MapEntry ${name}[${rows.length}] = {\n${chunk(rows, 6)}\n};\n` +
    `static const size_t ${name}Count = ${rows.length};\n`;
}

const L = ranges(FLAG_L);
const N = ranges(FLAG_N);
const WS = ranges(FLAG_WS);
const text = `// GENERATED by scripts/gen-unicode-tables.mjs. Do not edit.
// Source: ICU ${process.versions.icu} (as Node ships it), Unicode ${effectiveUnicode}.
// L = \\p{L}, N = \\p{N}, WS = \\p{White_Space}.
#define CAPPY_UNICODE_VERSION "${effectiveUnicode}"
struct MapEntry {
  uint32_t cp;
  uint32_t offset;
  uint32_t length;
};
static const uint8_t kFlagLetter = ${FLAG_L};
static const uint8_t kFlagNumber = ${FLAG_N};
static const uint8_t kFlagSpace = ${FLAG_WS};

${rangeTable('kLetterRanges', L)}
${rangeTable('kNumberRanges', N)}
${rangeTable('kWhiteSpaceRanges', WS)}
static const uint8_t kFlagBertPunct = ${FLAG_BERT_PUNCT};
static const uint8_t kFlagBertControl = ${FLAG_BERT_CONTROL};
static const uint8_t kFlagChinese = ${FLAG_CHINESE};
static const uint8_t kFlagMn = ${FLAG_MN};
static const uint8_t kFlagMapped = ${FLAG_MAPPED};

${mapTable('kLowerMap', lowerMap)}
${mapTable('kNfdMap', nfdMap)}
${mapTable('kNfkdMap', nfkdMap)}
static const uint8_t kNormNfd = ${NORM_NFD};
static const uint8_t kNormNfkd = ${NORM_NFKD};
${stageTables('kNorm', normProps)}
${pairTable('kComposePairs', composePairs)}
${stageTables('k', flags)}`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
