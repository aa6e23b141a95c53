// Request-body checks shared by the route families. A body that is not JSON
// is 400, JSON of the wrong shape 422 (as axum's JSON extractor answers in
// TEI), nothing to score 400 Empty, size errors 413, and input the model
// cannot take as asked 422. Messages name the field, so a client can fix the
// request without reading the server's code.
import { InvalidInputError } from '../errors/index.js';
import { checkInteger } from '../options/spec.js';
import { toPair } from '../scorer/pairs.js';
import { HttpError } from './errors.js';
import { wordsOf } from '../scorer/windows.js';
import type { ScorerLike, TokenizerLike } from './types.js';

export type Body = Record<string, unknown>;

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** The body must be a JSON object. */
export function objectBody(body: unknown): Body {
  if (body === undefined || body === null || body === '') {
    throw new HttpError('BAD_REQUEST', 'empty request body: send a JSON object');
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError('INVALID_REQUEST', `request body must be a JSON object, got ${describe(body)}`);
  }
  return body as Body;
}

export function requireString(body: Body, field: string): string {
  const v = body[field];
  if (typeof v !== 'string') throw new HttpError('INVALID_REQUEST', `"${field}" must be a string, got ${describe(v)}`);
  return v;
}

export function optionalBool(body: Body, field: string, fallback: boolean): boolean {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new HttpError('INVALID_REQUEST', `"${field}" must be a boolean, got ${describe(v)}`);
  return v;
}

/** Runs a shared check (the library's validators) and answers its failure as a 422 naming the field. */
export function asInvalidRequest<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InvalidInputError) throw new HttpError('INVALID_REQUEST', e.message);
    throw e;
  }
}

export function optionalInteger(body: Body, field: string, min: number, max?: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  return asInvalidRequest(() => checkInteger(`"${field}"`, v, min, max));
}

/** A non-empty array no longer than the hard cap on items per request. */
export function boundedArray(body: Body, field: string, max: number): unknown[] {
  const v = body[field];
  if (!Array.isArray(v)) throw new HttpError('INVALID_REQUEST', `"${field}" must be an array, got ${describe(v)}`);
  if (v.length === 0) throw new HttpError('EMPTY', `"${field}" must not be empty`);
  checkCount(v.length, max, field);
  return v;
}

export function checkCount(n: number, max: number, what: string): void {
  if (n > max) {
    throw new HttpError('PAYLOAD_TOO_LARGE', `"${what}" has ${n} items, more than max_request_items ${max}; split the request`);
  }
}

/** Pairs as the library reads them; a bad one is a 422 naming it. */
export function pairList(items: unknown[], field: string): [string, string][] {
  return asInvalidRequest(() => items.map((p, i) => toPair(p, `"${field}[${i}]"`)));
}

export function stringArray(items: unknown[], field: string): string[] {
  items.forEach((t, i) => {
    if (typeof t !== 'string') throw new HttpError('INVALID_REQUEST', `"${field}[${i}]" must be a string, got ${describe(t)}`);
  });
  return items as string[];
}

/**
 * TEI's `truncation_direction`: only "Right" exists here, because Cappy's
 * reference tokenization cuts pairs with HF's longest_first from the right.
 */
export function checkTruncationDirection(body: Body): void {
  const v = body.truncation_direction;
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw new HttpError('INVALID_REQUEST', `"truncation_direction" must be a string, got ${describe(v)}`);
  if (v.toLowerCase() !== 'right') {
    throw new HttpError('UNPROCESSABLE', `truncation_direction "${v}" is not supported; this server truncates from the right`);
  }
}

/** Special tokens the model's template adds to a single text and to a pair (RoBERTa 2 and 4, BERT 2 and 3). */
interface Specials {
  single: number;
  pair: number;
}

const specialsOf = new WeakMap<TokenizerLike, Promise<Specials>>();

/** Asks the tokenizer itself: empty texts encode to their special tokens alone. */
function templateSpecials(tok: TokenizerLike): Promise<Specials> {
  let p = specialsOf.get(tok);
  if (!p) {
    p = tok.encodeBatch(['', ['', '']]).then(([s, pr]) => ({ single: s.ids.length, pair: pr.ids.length }));
    p.catch(() => specialsOf.delete(tok));
    specialsOf.set(tok, p);
  }
  return p;
}

/**
 * Tokens of `text` encoded alone (special tokens excluded), past the
 * tokenizer's truncation: the text's words (runs of non-whitespace with the
 * whitespace before them) are encoded one by one and their counts added,
 * which is how byte-level BPE, WordPiece and Metaspace pre-tokenizers see
 * text split at whitespace (the rule lib/scorer/windows.ts relies on). A
 * single word that is itself cut at the limit makes the count a lower bound.
 */
async function untruncatedCount(tok: TokenizerLike, text: string, specials: Specials, max: number): Promise<{ n: number; exact: boolean }> {
  const words = wordsOf(text);
  if (words.length === 0) return { n: 0, exact: true };
  const encoded = await tok.encodeBatch(words);
  let n = 0;
  let exact = true;
  for (const e of encoded) {
    if (e.ids.length >= max) exact = false;
    n += e.ids.length - specials.single;
  }
  return { n, exact };
}

/**
 * With `truncate: false`, refuses pairs longer than the model's max length
 * instead of cutting them (TEI's refusal), counting as the model's own
 * template does. Each distinct text is encoded alone, in one native batch,
 * and a pair counts len(single A) + len(single B) − 2 × single specials +
 * pair specials (HF tokenizes the two texts of a pair independently, then
 * adds the template's tokens). The scorer's tokenizer truncates a single text
 * at the limit, so a text cut there is counted again word by word for the
 * message: the client is told the pair's real length, not the limit plus a
 * few. When a pair adds no more specials than a single (no pair template),
 * a text at the limit counts as over.
 */
export async function checkLengths(scorer: ScorerLike, firsts: readonly string[], seconds: readonly string[]): Promise<void> {
  const tok = scorer.tokenizer;
  if (!tok) {
    throw new HttpError('UNPROCESSABLE', 'truncate=false is not available: this scorer exposes no tokenizer to measure inputs');
  }
  const max = scorer.info.maxLength;
  const unique = [...new Set([...firsts, ...seconds])];
  const [specials, encoded] = await Promise.all([templateSpecials(tok), tok.encodeBatch(unique)]);
  const lengths = new Map(unique.map((t, i) => [t, encoded[i].ids.length]));
  const extra = specials.pair - 2 * specials.single;
  for (let i = 0; i < firsts.length; i++) {
    const a = lengths.get(firsts[i]) ?? 0;
    const b = lengths.get(seconds[i]) ?? 0;
    const ambiguous = specials.pair <= specials.single && (a >= max || b >= max);
    if (a + b + extra <= max && !ambiguous) continue;
    // Over the limit: measure the cut texts in full for the message.
    let n = extra + 2 * specials.single;
    let exact = true;
    for (const [text, len] of [
      [firsts[i], a],
      [seconds[i], b],
    ] as const) {
      if (len < max) {
        n += len - specials.single;
        continue;
      }
      const full = await untruncatedCount(tok, text, specials, max);
      n += Math.max(full.n, len - specials.single);
      exact &&= full.exact;
    }
    throw new HttpError(
      'UNPROCESSABLE',
      `input ${i} has ${exact ? '' : 'at least '}${n} tokens, more than max_input_length ${max}; shorten it or send truncate=true`,
    );
  }
}
