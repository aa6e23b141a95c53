#!/usr/bin/env node
// Generates the grapheme-cluster property table that the Precompiled
// normalizer (SentencePiece charsmaps, as in XLM-R files) needs: HF looks up
// whole extended grapheme clusters (UAX #29) in the charsmap, so the engine
// must cut text into the same clusters as HF's unicode-segmentation crate.
//
// Usage: node scripts/gen-grapheme-tables.mjs <out.inc>
//
// JavaScript's regexes cannot read Grapheme_Cluster_Break or
// Indic_Conjunct_Break, so the script asks Node's ICU segmenter instead: it
// places every code point in small contexts whose break or no-break only one
// property value explains, and reads the classes back from where ICU breaks.
// Fixed facts (CR, LF, ZWJ, the Hangul syllable ranges) and the properties a
// regex can read (Regional_Indicator, Extended_Pictographic) come from their
// definitions. A self-check then segments random strings of tricky code
// points with both ICU and these classes (the rules in JS, as the C++ has
// them) and warns on any difference.
//
// Output: one byte per code point in a two-stage table (256-code-point
// blocks, deduplicated):
//   bits 0-3 Grapheme_Cluster_Break value (kGcb* below)
//   bit  4   Extended_Pictographic
//   bits 5-6 Indic_Conjunct_Break: 0 None, 1 Consonant, 2 Extend, 3 Linker
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stageTables } from './two-stage-table.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: gen-grapheme-tables.mjs <out.inc>');
  process.exit(2);
}

const GCB = ['Other', 'CR', 'LF', 'Control', 'Extend', 'ZWJ', 'RegionalIndicator', 'Prepend', 'SpacingMark', 'L', 'V', 'T', 'LV', 'LVT'];
const G = Object.fromEntries(GCB.map((name, i) => [name, i]));
const EXT_PICT = 16;
const INCB_CONSONANT = 1 << 5;
const INCB_EXTEND = 2 << 5;
const INCB_LINKER = 3 << 5;
const MAX = 0x10ffff;
const isSurrogate = (cp) => cp >= 0xd800 && cp <= 0xdfff;

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** Offsets (UTF-16) where ICU starts a cluster, as a Set. */
function starts(s) {
  const set = new Set();
  for (const { index } of segmenter.segment(s)) set.add(index);
  return set;
}
const clusters = (s) => {
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
};

// Asks one question of every code point c at once: segments the strings
// prefix + c + suffix, 64 code points to a string (V8's segmenter is
// quadratic on long strings), and returns whether ICU starts a cluster at c
// (`before`) and right after c (`after`).
function probeAll(prefix, suffix) {
  const before = new Uint8Array(MAX + 1);
  const after = new Uint8Array(MAX + 1);
  for (let lo = 0; lo <= MAX; lo += 64) {
    const parts = [];
    const at = [];
    let len = 0;
    for (let cp = lo; cp < lo + 64 && cp <= MAX; cp++) {
      if (isSurrogate(cp)) continue;
      const c = String.fromCodePoint(cp);
      at.push([cp, len + prefix.length, len + prefix.length + c.length]);
      parts.push(prefix, c, suffix);
      len += prefix.length + c.length + suffix.length;
    }
    if (at.length === 0) continue;
    const s = starts(parts.join(''));
    for (const [cp, b, a] of at) {
      before[cp] = s.has(b) ? 1 : 0;
      after[cp] = s.has(a) ? 1 : 0;
    }
  }
  return { before, after };
}

const cls = new Uint8Array(MAX + 1);
// "a" c "b": a break before c means c does not extend "a" (not Extend, ZWJ
// or SpacingMark); no break after c means c is Prepend.
const ab = probeAll('a', 'b');
// "x" c U+0308: a break before the combining mark means c is Control, CR or LF.
const xm = probeAll('x', '\u0308');
// U+0915 U+094D c "\n": KA + virama, then c; no break before c (when c
// does not extend anything anyway) means c is InCB=Consonant.
const kv = probeAll('\u0915\u094D', '\n');
const reRI = /^\p{Regional_Indicator}$/u;
const reEP = /^\p{Extended_Pictographic}$/u;

for (let cp = 0; cp <= MAX; cp++) {
  if (isSurrogate(cp)) {
    cls[cp] = G.Control;
    continue;
  } // never reached: the C++ sees valid UTF-8 only
  const c = String.fromCodePoint(cp);
  const extendsPrev = !ab.before[cp];
  const prepend = !ab.after[cp];
  const control = xm.after[cp] === 1;
  let v = G.Other;
  if (cp === 0x0d) v = G.CR;
  else if (cp === 0x0a) v = G.LF;
  else if (cp === 0x200d) v = G.ZWJ;
  else if (control) v = G.Control;
  else if (reRI.test(c)) v = G.RegionalIndicator;
  else if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0xa960 && cp <= 0xa97c)) v = G.L;
  else if ((cp >= 0x1160 && cp <= 0x11a7) || (cp >= 0xd7b0 && cp <= 0xd7c6)) v = G.V;
  else if ((cp >= 0x11a8 && cp <= 0x11ff) || (cp >= 0xd7cb && cp <= 0xd7fb)) v = G.T;
  else if (cp >= 0xac00 && cp <= 0xd7a3) v = (cp - 0xac00) % 28 === 0 ? G.LV : G.LVT;
  else if (extendsPrev) {
    // Extend and SpacingMark both join the character before; only Extend
    // may sit between a pictograph and a ZWJ that joins the next pictograph.
    v = clusters('\u{1F600}' + c + '\u200D\u{1F600}') === 1 ? G.Extend : G.SpacingMark;
  } else if (prepend) v = G.Prepend;
  let f = v;
  if (reEP.test(c)) f |= EXT_PICT;
  if (v === G.Extend || v === G.ZWJ) {
    // KA c KA: a linker (virama) joins the second consonant; KA virama c KA:
    // any InCB=Extend mark keeps the conjunct open.
    if (clusters('\u0915' + c + '\u0915') === 1) f |= INCB_LINKER;
    else if (clusters('\u0915\u094D' + c + '\u0915') === 1) f |= INCB_EXTEND;
  } else if (!kv.before[cp]) {
    f |= INCB_CONSONANT;
  }
  cls[cp] = f;
}

// ---- self-check: the rules as the C++ runs them, against ICU ----
function boundariesByRules(cps) {
  const out = [];
  let ri = 0; // regional indicators in a row just before this point
  let emoji = 0; // 1: pictograph Extend*, 2: pictograph Extend* ZWJ
  let incb = 0; // 1: consonant [extend|linker]*, 2: ... with a linker seen
  for (let i = 0; i < cps.length; i++) {
    const f = cls[cps[i]];
    const cur = f & 15;
    if (i > 0) {
      const prev = cls[cps[i - 1]] & 15;
      let brk = true;
      if (prev === G.CR && cur === G.LF) brk = false;
      else if (prev === G.CR || prev === G.LF || prev === G.Control) brk = true;
      else if (cur === G.CR || cur === G.LF || cur === G.Control) brk = true;
      else if (prev === G.L && (cur === G.L || cur === G.V || cur === G.LV || cur === G.LVT)) brk = false;
      else if ((prev === G.LV || prev === G.V) && (cur === G.V || cur === G.T)) brk = false;
      else if ((prev === G.LVT || prev === G.T) && cur === G.T) brk = false;
      else if (cur === G.Extend || cur === G.ZWJ || cur === G.SpacingMark) brk = false;
      else if (prev === G.Prepend) brk = false;
      else if ((f & 0x60) === INCB_CONSONANT && incb === 2) brk = false;
      else if (f & EXT_PICT && emoji === 2) brk = false;
      else if (prev === G.RegionalIndicator && cur === G.RegionalIndicator && ri % 2 === 1) brk = false;
      if (brk) out.push(i);
    }
    ri = cur === G.RegionalIndicator ? ri + 1 : 0;
    if (f & EXT_PICT) emoji = 1;
    else if (emoji === 1 && cur === G.Extend) emoji = 1;
    else if (emoji === 1 && cur === G.ZWJ) emoji = 2;
    else emoji = 0;
    const incbv = f & 0x60;
    if (incbv === INCB_CONSONANT) incb = 1;
    else if (incb > 0 && incbv === INCB_LINKER) incb = 2;
    else if (!(incb > 0 && incbv === INCB_EXTEND)) incb = 0; // Extend keeps the state
  }
  return out;
}
function boundariesByIcu(cps) {
  const s = String.fromCodePoint(...cps);
  const unitToCp = new Map();
  for (let i = 0, u = 0; i < cps.length; i++) {
    unitToCp.set(u, i);
    u += cps[i] > 0xffff ? 2 : 1;
  }
  return [...starts(s)].filter((u) => u > 0).map((u) => unitToCp.get(u));
}
// Draw a class first, then a member, so rare classes (linkers, ZWJ, regional
// indicators) show up as often as Hangul syllables do.
const byClass = new Map();
for (let cp = 0; cp <= MAX; cp++) {
  if (isSurrogate(cp)) continue;
  const list = byClass.get(cls[cp]) ?? [];
  if (list.length < 4096) list.push(cp);
  byClass.set(cls[cp], list);
}
const groups = [...byClass.values()];
let seed = 12345;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed >>> 8) % n;
};
let differ = 0;
for (let t = 0; t < 100000 && differ < 5; t++) {
  const cps = Array.from({ length: 2 + rnd(7) }, () => {
    const g = groups[rnd(groups.length)];
    return g[rnd(g.length)];
  });
  const a = boundariesByRules(cps).join(',');
  const b = boundariesByIcu(cps).join(',');
  if (a !== b) {
    differ++;
    console.warn(`gen-grapheme-tables: rules and ICU differ on ${cps.map((c) => c.toString(16)).join(' ')}: ${a} vs ${b}`);
  }
}

// ---- emit ----
const text = `// GENERATED by scripts/gen-grapheme-tables.mjs. Do not edit.
// Source: ICU ${process.versions.icu} (as Node ships it), Unicode ${process.versions.unicode} (grapheme segmenter).
#define CAPPY_GRAPHEME_UNICODE_VERSION "${process.versions.unicode}"
${GCB.map((name, i) => `static const uint8_t kGcb${name} = ${i};`).join('\n')}
static const uint8_t kGraphemeExtPict = ${EXT_PICT};
static const uint8_t kIncbMask = 0x60;
static const uint8_t kIncbConsonant = ${INCB_CONSONANT};
static const uint8_t kIncbExtend = ${INCB_EXTEND};
static const uint8_t kIncbLinker = ${INCB_LINKER};
${stageTables('kGrapheme', cls)}`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
