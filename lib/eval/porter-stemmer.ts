// The Porter stemmer exactly as rouge_score runs it: rouge_score's tokenizer
// calls NLTK's `PorterStemmer()` in its default mode, NLTK_EXTENSIONS. That
// mode is Porter's 1980 algorithm ("An algorithm for suffix stripping",
// Program 14(3)) plus the departures Martin Porter later endorsed plus a few of
// NLTK's own, listed where they apply below (each marked NLTK).
//
// Written here because no npm stemmer produces NLTK's output: npm `stemmer`
// (wooorm, 2.0.1) reproduces Martin Porter's reference output.txt on all
// 23,531 words of his voc.txt, and for that reason differs from NLTK's default
// mode on 443 of them (377 of the words longer than 3 characters, the only
// ones rouge_score stems): 'abbey' -> 'abbey' (NLTK) vs 'abbei', 'ages' ->
// 'age' vs 'ag', 'crying' -> 'cri' vs 'cry', 'skilfully' -> 'skil' vs
// 'skilfulli'. `natural`'s PorterStemmer differs as often. The test table
// test/fixtures/adapt-data/porter-vocabulary.tsv.gz holds the word, Porter's
// stem and NLTK's.
//
// Input: a lower-case word. rouge_score hands it tokens of [a-z0-9] only;
// digits count as consonants, as in NLTK.

/** NLTK's table of irregular forms: a hit is the stem, and nothing else runs. */
const IRREGULAR: ReadonlyMap<string, string> = new Map([
  ['sky', 'sky'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['news', 'news'],
  ['innings', 'inning'],
  ['inning', 'inning'],
  ['outings', 'outing'],
  ['outing', 'outing'],
  ['cannings', 'canning'],
  ['canning', 'canning'],
  ['howe', 'howe'],
  ['proceed', 'proceed'],
  ['exceed', 'exceed'],
  ['succeed', 'succeed'],
]);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/**
 * Per letter, whether it is a consonant in Porter's sense: not a, e, i, o, u,
 * and not a y that follows a consonant (so in "toy" t and y are consonants,
 * in "syzygy" s, z and g).
 */
function consonants(w: string): boolean[] {
  const c: boolean[] = new Array<boolean>(w.length);
  for (let i = 0; i < w.length; i++) {
    const ch = w[i];
    if (VOWELS.has(ch)) c[i] = false;
    else if (ch === 'y') c[i] = i === 0 ? true : !c[i - 1];
    else c[i] = true;
  }
  return c;
}

/** Porter's m: the number of vowel-run-then-consonant-run pairs, [C](VC)^m[V]. */
function measure(stem: string): number {
  const c = consonants(stem);
  let m = 0;
  for (let i = 1; i < c.length; i++) if (!c[i - 1] && c[i]) m += 1;
  return m;
}

const positive = (stem: string) => measure(stem) > 0;
const aboveOne = (stem: string) => measure(stem) > 1;

function hasVowel(stem: string): boolean {
  return consonants(stem).some((isConsonant) => !isConsonant);
}

/** *d: ends in a doubled consonant. */
function endsDoubleConsonant(w: string): boolean {
  const n = w.length;
  return n >= 2 && w[n - 1] === w[n - 2] && consonants(w)[n - 1];
}

/**
 * *o: ends consonant-vowel-consonant, the last not w, x or y (hop, wil). NLTK
 * also counts a two-letter vowel-consonant word (so "ace", "age", "use" keep
 * their e), with no w/x/y exception there.
 */
function endsCvc(w: string): boolean {
  const n = w.length;
  const c = consonants(w);
  if (n >= 3 && c[n - 3] && !c[n - 2] && c[n - 1] && !'wxy'.includes(w[n - 1])) return true;
  return n === 2 && !c[0] && c[1];
}

type Rule = readonly [suffix: string, replacement: string, condition?: (stem: string, word: string) => boolean];

/**
 * Porter's rule lists: the rule with the first suffix that the word ends with
 * decides. If its condition fails the word is left as it is; later rules are
 * not tried (so "feed" is not taken by ED after EED refused it).
 */
function firstRule(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (!word.endsWith(suffix)) continue;
    const stem = word.slice(0, word.length - suffix.length);
    return !condition || condition(stem, word) ? stem + replacement : word;
  }
  return word;
}

// Step 1a: plurals. NLTK: a four-letter -ies word keeps "ie" (dies -> die, ties -> tie).
function step1a(w: string): string {
  if (w.length === 4 && w.endsWith('ies')) return w.slice(0, -1);
  return firstRule(w, [
    ['sses', 'ss'],
    ['ies', 'i'],
    ['ss', 'ss'],
    ['s', ''],
  ]);
}

// Step 1b: -eed, -ed, -ing, then tidying of what -ed/-ing left.
function step1b(w: string): string {
  // NLTK: -ied becomes -ie in a four-letter word (died -> die), else -i (spied -> spi).
  if (w.endsWith('ied')) return w.length === 4 ? w.slice(0, -1) : w.slice(0, -2);
  if (w.endsWith('eed')) {
    const stem = w.slice(0, -3);
    return positive(stem) ? stem + 'ee' : w;
  }
  let stem: string;
  if (w.endsWith('ed') && hasVowel(w.slice(0, -2))) stem = w.slice(0, -2);
  else if (w.endsWith('ing') && hasVowel(w.slice(0, -3))) stem = w.slice(0, -3);
  else return w;
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return stem + 'e';
  if (endsDoubleConsonant(stem)) return 'lsz'.includes(stem[stem.length - 1]) ? stem : stem.slice(0, -1);
  return measure(stem) === 1 && endsCvc(stem) ? stem + 'e' : stem;
}

// Step 1c, NLTK's form: a final y after a consonant becomes i, unless that
// consonant is the whole rest of the word (happy -> happi, enjoy -> enjoy, by -> by).
function step1c(w: string): string {
  if (!w.endsWith('y')) return w;
  const stem = w.slice(0, -1);
  return stem.length > 1 && consonants(stem)[stem.length - 1] ? stem + 'i' : w;
}

const STEP2: readonly Rule[] = [
  ['ational', 'ate', positive],
  ['tional', 'tion', positive],
  ['enci', 'ence', positive],
  ['anci', 'ance', positive],
  ['izer', 'ize', positive],
  ['bli', 'ble', positive], // Martin Porter's later form of ABLI -> ABLE
  ['alli', 'al', positive],
  ['entli', 'ent', positive],
  ['eli', 'e', positive],
  ['ousli', 'ous', positive],
  ['ization', 'ize', positive],
  ['ation', 'ate', positive],
  ['ator', 'ate', positive],
  ['alism', 'al', positive],
  ['iveness', 'ive', positive],
  ['fulness', 'ful', positive],
  ['ousness', 'ous', positive],
  ['aliti', 'al', positive],
  ['iviti', 'ive', positive],
  ['biliti', 'ble', positive],
  ['fulli', 'ful', positive], // NLTK
  // NLTK: the measure is taken with the l kept, so geology -> geolog like archaeology.
  ['logi', 'log', (_stem, word) => positive(word.slice(0, -3))],
];

// Step 2: double suffixes to single ones. NLTK tries -alli -> -al first and,
// when it applies, runs step 2 again on the result.
function step2(w: string): string {
  if (w.endsWith('alli') && positive(w.slice(0, -4))) return step2(w.slice(0, -2));
  return firstRule(w, STEP2);
}

const STEP3: readonly Rule[] = [
  ['icate', 'ic', positive],
  ['ative', '', positive],
  ['alize', 'al', positive],
  ['iciti', 'ic', positive],
  ['ical', 'ic', positive],
  ['ful', '', positive],
  ['ness', '', positive],
];

const STEP4: readonly Rule[] = [
  ['al', '', aboveOne],
  ['ance', '', aboveOne],
  ['ence', '', aboveOne],
  ['er', '', aboveOne],
  ['ic', '', aboveOne],
  ['able', '', aboveOne],
  ['ible', '', aboveOne],
  ['ant', '', aboveOne],
  ['ement', '', aboveOne],
  ['ment', '', aboveOne],
  ['ent', '', aboveOne],
  ['ion', '', (stem) => aboveOne(stem) && (stem.endsWith('s') || stem.endsWith('t'))],
  ['ou', '', aboveOne],
  ['ism', '', aboveOne],
  ['ate', '', aboveOne],
  ['iti', '', aboveOne],
  ['ous', '', aboveOne],
  ['ive', '', aboveOne],
  ['ize', '', aboveOne],
];

// Step 5a: a final e goes when m > 1, or when m = 1 and the rest does not end cvc
// (both conditions are tried, unlike a rule list).
function step5a(w: string): string {
  if (!w.endsWith('e')) return w;
  const stem = w.slice(0, -1);
  const m = measure(stem);
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : w;
}

// Step 5b: -ll loses an l when m > 1 (controll -> control, roll stays).
function step5b(w: string): string {
  return w.endsWith('ll') && aboveOne(w.slice(0, -1)) ? w.slice(0, -1) : w;
}

/** The stem NLTK's PorterStemmer().stem(word) gives for a lower-case word. */
export function porterStem(word: string): string {
  const irregular = IRREGULAR.get(word);
  if (irregular !== undefined) return irregular;
  // NLTK (and Martin Porter's versions) leave words of one or two letters alone.
  if (word.length <= 2) return word;
  let w = step1a(word);
  w = step1b(w);
  w = step1c(w);
  w = step2(w);
  w = firstRule(w, STEP3);
  w = firstRule(w, STEP4);
  w = step5a(w);
  return step5b(w);
}
