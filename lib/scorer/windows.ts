// Long inputs in windows (longInputs: 'chunk'). Truncation stays the default:
// Cappy was trained and evaluated on pairs cut by HF's longest_first, so that
// is what reproduces its scores. With chunking, a pair whose response does
// not fit is scored as several pairs and the pair's score is the max (or
// mean) of theirs:
//
// - A pair that fits (instruction + response + the template's specials <=
//   maxLength) is scored as it is.
// - Otherwise window 0 is the pair itself, which the normal truncation cuts
//   exactly as Cappy's own scoring does; window k > 0 is (instruction, the
//   response from word boundary s_k on), cut the same way. A window holds
//   w = budget - min(instruction tokens, budget / 2) response tokens (budget:
//   maxLength minus the pair's specials); s_k is the last word boundary at or
//   before s_{k-1} + w - chunkOverlap (in tokens), and after s_{k-1}. Windows
//   stop once one reaches the response's end, or at maxChunks.
// - A word is a run of non-whitespace with the whitespace before it; the
//   response is the concatenation of its words. Token positions are sums of
//   each word's token count encoded alone, which is how byte-level BPE,
//   WordPiece and Metaspace pre-tokenizers see text split at whitespace.
//   Text without whitespace (one long word) cannot be cut and stays one
//   truncated window.
//
// Every window is an ordinary (instruction, text) pair: the scorer tokenizes,
// truncates and batches it like any other, on native threads. This file only
// splits text at whitespace and adds up counts that the native tokenizer
// measured.

export type LongInputs = 'truncate' | 'chunk';
export type ChunkAggregation = 'max' | 'mean';

export interface ChunkSettings {
  maxLength: number;
  chunkOverlap: number;
  maxChunks: number;
  chunkAggregation: ChunkAggregation;
}

/** Special tokens the template adds to one text and to a pair. */
export interface TemplateSpecials {
  single: number;
  pair: number;
}

/** What the windowing needs from the scorer. */
export interface WindowEngine {
  /** Tokens of each text encoded alone, special tokens excluded (measured natively; capped near maxLength). */
  tokenCounts(texts: string[]): Promise<Uint32Array>;
  specials(): Promise<TemplateSpecials>;
  /** Scores pairs as the scorer does with truncation. */
  score(instructions: string[], responses: string[], signal: AbortSignal | undefined): Promise<Float32Array>;
}

// Unicode White_Space, as HF's pre-tokenizers read it (JavaScript's \s also
// takes U+FEFF, which they do not).
const WORD =
  /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/g;

/** Start offsets (in UTF-16 units) of the words of `text`: each word is a run of non-whitespace with the whitespace before it. */
export function wordStarts(text: string): number[] {
  const starts: number[] = [];
  const re = new RegExp(WORD);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) starts.push(m.index);
  return starts;
}

/** The words of `text` (their concatenation, plus any trailing whitespace, is the text). */
export function wordsOf(text: string): string[] {
  const starts = wordStarts(text);
  return starts.map((s, i) => text.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined));
}

/**
 * Response tokens one window holds: what the budget (maxLength minus the
 * pair's specials) leaves beside the instruction, the instruction taking at
 * most half. This is what longest_first keeps of a long response (or one
 * token more, when its odd token goes to the instruction).
 */
export function windowTokens(instructionTokens: number, budget: number): number {
  return budget - Math.min(instructionTokens, Math.floor(budget / 2));
}

/**
 * Where each window of a long response starts (character offsets; the first
 * is 0), from the instruction's token count and the response's word counts.
 */
export function windowStarts(
  instructionTokens: number,
  text: string,
  wordTokens: ArrayLike<number>,
  budget: number,
  settings: Pick<ChunkSettings, 'chunkOverlap' | 'maxChunks'>,
): number[] {
  const starts = wordStarts(text);
  const n = starts.length;
  // before[i]: response tokens before word i.
  const before = new Array<number>(n + 1);
  before[0] = 0;
  for (let i = 0; i < n; i++) before[i + 1] = before[i] + wordTokens[i];
  const total = before[n];
  const out: number[] = [0];
  let word = 0;
  while (out.length < settings.maxChunks) {
    const end = before[word] + windowTokens(instructionTokens, budget); // the first response token this window leaves out
    if (end >= total) break;
    // The last word boundary at or before end - overlap, after this window's start.
    const target = end - settings.chunkOverlap;
    let next = word + 1;
    while (next + 1 < n && before[next + 1] <= target) next++;
    if (next >= n) break;
    word = next;
    out.push(starts[word]);
  }
  return out;
}

/** Scores pairs, splitting long responses into windows; one score per pair. */
export async function scoreInWindows(
  engine: WindowEngine,
  instructions: string[],
  responses: string[],
  settings: ChunkSettings,
  signal: AbortSignal | undefined,
): Promise<Float32Array> {
  const n = instructions.length;
  const specials = await engine.specials();
  const budget = settings.maxLength - specials.pair;
  const unique = [...new Set([...instructions, ...responses])];
  const counts = await engine.tokenCounts(unique);
  const countOf = new Map(unique.map((t, i) => [t, counts[i]]));
  // The tokenizer stops counting near maxLength, which is all an
  // instruction's count needs (a window gives it half the budget at most);
  // a long response is counted word by word.
  const long = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    if (countOf.get(instructions[i])! + countOf.get(responses[i])! > budget && !long.has(responses[i])) {
      long.set(responses[i], wordsOf(responses[i]));
    }
  }
  const allWords = [...long.values()].flat();
  const wordCounts = allWords.length > 0 ? await engine.tokenCounts(allWords) : new Uint32Array(0);
  const wordCountsOf = new Map<string, Uint32Array>();
  let at = 0;
  for (const [text, words] of long) {
    const wc = wordCounts.subarray(at, at + words.length);
    wordCountsOf.set(text, wc);
    countOf.set(
      text,
      wc.reduce((sum, c) => sum + c, 0),
    );
    at += words.length;
  }
  // Every window as a pair; owner[j] is the input window j belongs to.
  const firsts: string[] = [];
  const seconds: string[] = [];
  const owner: number[] = [];
  for (let i = 0; i < n; i++) {
    const wc = wordCountsOf.get(responses[i]);
    const a = countOf.get(instructions[i])!;
    const starts = wc && a + countOf.get(responses[i])! > budget ? windowStarts(a, responses[i], wc, budget, settings) : [0];
    for (const s of starts) {
      firsts.push(instructions[i]);
      seconds.push(s === 0 ? responses[i] : responses[i].slice(s));
      owner.push(i);
    }
  }
  const windowScores = await engine.score(firsts, seconds, signal);
  if (firsts.length === n) return windowScores; // nothing was long
  const max = settings.chunkAggregation === 'max';
  const acc = new Float64Array(n).fill(max ? Number.NEGATIVE_INFINITY : 0);
  const windowsOf = new Uint32Array(n);
  for (let j = 0; j < owner.length; j++) {
    const i = owner[j];
    windowsOf[i] += 1;
    acc[i] = max ? Math.max(acc[i], windowScores[j]) : acc[i] + windowScores[j];
  }
  return Float32Array.from(acc, (v, i) => (max ? v : v / windowsOf[i]));
}
