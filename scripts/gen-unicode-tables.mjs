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
  [0x88f, 0x88f],
  [0xc5c, 0xc5c],
  [0xcdc, 0xcdc],
  [0xa7ce, 0xa7cf],
  [0xa7d2, 0xa7d2],
  [0xa7d4, 0xa7d4],
  [0xa7f1, 0xa7f1],
  [0x10940, 0x10959],
  [0x10ec5, 0x10ec7],
  [0x11db0, 0x11ddb],
  [0x11de0, 0x11de9],
  [0x16ea0, 0x16eb8],
  [0x16ebb, 0x16ed3],
  [0x16ff2, 0x16ff3],
  [0x16ff4, 0x16ff6],
  [0x187f8, 0x187ff],
  [0x18d09, 0x18d1e],
  [0x18d80, 0x18df2],
  [0x1e6c0, 0x1e6de],
  [0x1e6e0, 0x1e6e2],
  [0x1e6e4, 0x1e6e5],
  [0x1e6e7, 0x1e6ed],
  [0x1e6f0, 0x1e6f4],
  [0x1e6fe, 0x1e6ff],
  [0x2b73a, 0x2b73f],
  [0x2cea2, 0x2cead],
  [0x323b0, 0x33479],
];
const nodeUnicodeMajor = Number(process.versions.unicode.split('.')[0]);
if (nodeUnicodeMajor > 17 || nodeUnicodeMajor < 16) {
  console.warn(
    `gen-unicode-tables: Node's Unicode is ${process.versions.unicode}; HF tokenizers uses ${TARGET_UNICODE}. ` +
      'Characters assigned in between may tokenize differently from HF.',
  );
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
const BERT_NOT_PUNCT = [
  // \p{P} today, not punctuation to HF
  [0x61d, 0x61d],
  [0x9fd, 0x9fd],
  [0xa76, 0xa76],
  [0xc77, 0xc77],
  [0xc84, 0xc84],
  [0x1b4e, 0x1b4f],
  [0x1b7d, 0x1b7f],
  [0x2e43, 0x2e4f],
  [0x2e52, 0x2e5d],
  [0x10d6e, 0x10d6e],
  [0x10ead, 0x10ead],
  [0x10ed0, 0x10ed0],
  [0x10f55, 0x10f59],
  [0x10f86, 0x10f89],
  [0x113d4, 0x113d5],
  [0x113d7, 0x113d8],
  [0x1144b, 0x1144f],
  [0x1145a, 0x1145b],
  [0x1145d, 0x1145d],
  [0x11660, 0x1166c],
  [0x116b9, 0x116b9],
  [0x1183b, 0x1183b],
  [0x11944, 0x11946],
  [0x119e2, 0x119e2],
  [0x11a3f, 0x11a46],
  [0x11a9a, 0x11a9c],
  [0x11a9e, 0x11aa2],
  [0x11b00, 0x11b09],
  [0x11be1, 0x11be1],
  [0x11c41, 0x11c45],
  [0x11c70, 0x11c71],
  [0x11ef7, 0x11ef8],
  [0x11f43, 0x11f4f],
  [0x11fff, 0x11fff],
  [0x12ff1, 0x12ff2],
  [0x16d6d, 0x16d6f],
  [0x16e97, 0x16e9a],
  [0x16fe2, 0x16fe2],
  [0x1e5ff, 0x1e5ff],
  [0x1e95e, 0x1e95f],
];
const BERT_PUNCT = [
  [0x166d, 0x166d],
  [0x111c9, 0x111c9],
]; // punctuation to HF only
const BERT_NOT_MN = [
  // Mn today, kept by HF's strip_accents
  [0x7fd, 0x7fd],
  [0x897, 0x89f],
  [0x8ca, 0x8e1],
  [0x9fe, 0x9fe],
  [0xafa, 0xaff],
  [0xb55, 0xb55],
  [0xc04, 0xc04],
  [0xc3c, 0xc3c],
  [0xd00, 0xd00],
  [0xd3b, 0xd3c],
  [0xd81, 0xd81],
  [0xeba, 0xeba],
  [0xece, 0xece],
  [0x180f, 0x180f],
  [0x1885, 0x1886],
  [0x1abf, 0x1add],
  [0x1ae0, 0x1aeb],
  [0x1df6, 0x1dfb],
  [0xa82c, 0xa82c],
  [0xa8c5, 0xa8c5],
  [0xa8ff, 0xa8ff],
  [0xa9bd, 0xa9bd],
  [0x10d24, 0x10d27],
  [0x10d69, 0x10d6d],
  [0x10eab, 0x10eac],
  [0x10efa, 0x10eff],
  [0x10f46, 0x10f50],
  [0x10f82, 0x10f85],
  [0x11070, 0x11070],
  [0x11073, 0x11074],
  [0x110c2, 0x110c2],
  [0x111c9, 0x111c9],
  [0x111cf, 0x111cf],
  [0x1123e, 0x1123e],
  [0x11241, 0x11241],
  [0x1133b, 0x1133b],
  [0x113bb, 0x113c0],
  [0x113ce, 0x113ce],
  [0x113d0, 0x113d0],
  [0x113d2, 0x113d2],
  [0x113e1, 0x113e2],
  [0x11438, 0x1143f],
  [0x11442, 0x11444],
  [0x11446, 0x11446],
  [0x1145e, 0x1145e],
  [0x1182f, 0x11837],
  [0x11839, 0x1183a],
  [0x1193b, 0x1193c],
  [0x1193e, 0x1193e],
  [0x11943, 0x11943],
  [0x119d4, 0x119d7],
  [0x119da, 0x119db],
  [0x119e0, 0x119e0],
  [0x11a01, 0x11a0a],
  [0x11a33, 0x11a38],
  [0x11a3b, 0x11a3e],
  [0x11a47, 0x11a47],
  [0x11a51, 0x11a56],
  [0x11a59, 0x11a5b],
  [0x11a8a, 0x11a96],
  [0x11a98, 0x11a99],
  [0x11b60, 0x11b60],
  [0x11b62, 0x11b64],
  [0x11b66, 0x11b66],
  [0x11c30, 0x11c36],
  [0x11c38, 0x11c3d],
  [0x11c3f, 0x11c3f],
  [0x11c92, 0x11ca7],
  [0x11caa, 0x11cb0],
  [0x11cb2, 0x11cb3],
  [0x11cb5, 0x11cb6],
  [0x11d31, 0x11d36],
  [0x11d3a, 0x11d3a],
  [0x11d3c, 0x11d3d],
  [0x11d3f, 0x11d45],
  [0x11d47, 0x11d47],
  [0x11d90, 0x11d91],
  [0x11d95, 0x11d95],
  [0x11d97, 0x11d97],
  [0x11ef3, 0x11ef4],
  [0x11f00, 0x11f01],
  [0x11f36, 0x11f3a],
  [0x11f40, 0x11f40],
  [0x11f42, 0x11f42],
  [0x11f5a, 0x11f5a],
  [0x13440, 0x13440],
  [0x13447, 0x13455],
  [0x1611e, 0x16129],
  [0x1612d, 0x1612f],
  [0x16f4f, 0x16f4f],
  [0x16fe4, 0x16fe4],
  [0x1cf00, 0x1cf2d],
  [0x1cf30, 0x1cf46],
  [0x1e000, 0x1e006],
  [0x1e008, 0x1e018],
  [0x1e01b, 0x1e021],
  [0x1e023, 0x1e024],
  [0x1e026, 0x1e02a],
  [0x1e08f, 0x1e08f],
  [0x1e130, 0x1e136],
  [0x1e2ae, 0x1e2ae],
  [0x1e2ec, 0x1e2ef],
  [0x1e4ec, 0x1e4ef],
  [0x1e5ee, 0x1e5ef],
  [0x1e6e3, 0x1e6e3],
  [0x1e6e6, 0x1e6e6],
  [0x1e6ee, 0x1e6ef],
  [0x1e6f5, 0x1e6f5],
  [0x1e944, 0x1e94a],
];
const BERT_MN = [
  [0x1734, 0x1734],
  [0x1171e, 0x1171e],
]; // stripped by HF, not Mn today
const BERT_NOT_CONTROL = [
  [0x890, 0x891],
  [0x8e2, 0x8e2],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
]; // Cf today, kept by HF's clean_text
// HF's handle_chinese_chars ranges, fixed in its source (not a property).
const CHINESE = [
  [0x4e00, 0x9fff],
  [0x3400, 0x4dbf],
  [0x20000, 0x2a6df],
  [0x2a700, 0x2b73f],
  [0x2b740, 0x2b81f],
  [0x2b920, 0x2ceaf],
  [0xf900, 0xfaff],
  [0x2f800, 0x2fa1f],
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
  [0x32ff, 0x32ff],
  [0xa7f1, 0xa7f4],
  [0xab69, 0xab69],
  [0x105c9, 0x105c9],
  [0x105e4, 0x105e4],
  [0x10781, 0x10785],
  [0x10787, 0x107b0],
  [0x107b2, 0x107ba],
  [0x11383, 0x11383],
  [0x11385, 0x11385],
  [0x1138e, 0x1138e],
  [0x11391, 0x11391],
  [0x113c5, 0x113c5],
  [0x113c7, 0x113c8],
  [0x11938, 0x11938],
  [0x16121, 0x16128],
  [0x16d68, 0x16d6a],
  [0x1ccd6, 0x1ccf9],
  [0x1e030, 0x1e06d],
  [0x1f16c, 0x1f16c],
  [0x1fbf0, 0x1fbf9],
];
const HF_STARTERS = [
  [0x7fd, 0x7fd],
  [0x897, 0x89f],
  [0x8ca, 0x8d3],
  [0x9fe, 0x9fe],
  [0xc3c, 0xc3c],
  [0xd3b, 0xd3c],
  [0xeba, 0xeba],
  [0x1715, 0x1715],
  [0x1abf, 0x1add],
  [0x1ae0, 0x1aeb],
  [0x1df6, 0x1dfa],
  [0xa82c, 0xa82c],
  [0x10d24, 0x10d27],
  [0x10d69, 0x10d6d],
  [0x10eab, 0x10eac],
  [0x10efa, 0x10efb],
  [0x10efd, 0x10eff],
  [0x10f46, 0x10f50],
  [0x10f82, 0x10f85],
  [0x11070, 0x11070],
  [0x1133b, 0x1133b],
  [0x113ce, 0x113d0],
  [0x1145e, 0x1145e],
  [0x11839, 0x1183a],
  [0x1193d, 0x1193e],
  [0x11943, 0x11943],
  [0x119e0, 0x119e0],
  [0x11a34, 0x11a34],
  [0x11a47, 0x11a47],
  [0x11a99, 0x11a99],
  [0x11d42, 0x11d42],
  [0x11d44, 0x11d45],
  [0x11d97, 0x11d97],
  [0x11f41, 0x11f42],
  [0x1612f, 0x1612f],
  [0x16ff0, 0x16ff1],
  [0x1e08f, 0x1e08f],
  [0x1e130, 0x1e136],
  [0x1e2ae, 0x1e2ae],
  [0x1e2ec, 0x1e2ef],
  [0x1e4ec, 0x1e4ef],
  [0x1e5ee, 0x1e5ef],
  [0x1e6e3, 0x1e6e3],
  [0x1e6e6, 0x1e6e6],
  [0x1e6ee, 0x1e6ef],
  [0x1e6f5, 0x1e6f5],
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
  for (let i = 0; i < pairs.length; i += 4)
    rows.push(
      '    ' +
        pairs
          .slice(i, i + 4)
          .map(([a, b, c]) => `{${hex(a)}, ${hex(b)}, ${hex(c)}}`)
          .join(', ') +
        ',',
    );
  return `static const uint32_t ${name}[][3] = {\n${rows.join('\n')}\n};\nstatic const size_t ${name}Count = ${pairs.length};\n`;
}

const effectiveUnicode =
  nodeUnicodeMajor >= 17 ? `${TARGET_UNICODE} (Node's ${process.versions.unicode} less the 17.0 additions)` : process.versions.unicode;

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
    rows.push(
      '    ' +
        r
          .slice(i, i + 4)
          .map(([a, b]) => `{${hex(a)}, ${hex(b)}}`)
          .join(', ') +
        ',',
    );
  }
  return `static const uint32_t ${name}[][2] = {\n${rows.join('\n')}\n};\n` + `static const size_t ${name}Count = ${r.length};\n`;
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
  const chunk = (xs, n) => {
    const out = [];
    for (let i = 0; i < xs.length; i += n) out.push('    ' + xs.slice(i, i + n).join(', ') + ',');
    return out.join('\n');
  };
  return (
    `static const uint32_t ${name}Pool[${pool.length}] = {\n${chunk(pool.map(hex), 12)}\n};\n` +
    `static const MapEntry ${name}[${rows.length}] = {\n${chunk(rows, 6)}\n};\n` +
    `static const size_t ${name}Count = ${rows.length};\n`
  );
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
