// Cohere's rerank, both versions, the shapes LangChain, LlamaIndex, Haystack
// and the cohere-ai SDKs send. `model` picks one of the served models.
//
// POST /v1/rerank: {query, documents, top_n?, return_documents?, rank_fields?,
//   max_chunks_per_doc?, model?} in, {id, results: [{index, relevance_score,
//   document?}], meta} out. Documents are strings or objects; with
//   return_documents an object comes back as it was given (every field), a
//   string as {text}. rank_fields names the fields to score, rendered as
//   Cohere documents structured data: one `field: value` line per field, in
//   the order given (YAML's block form); without it an object's `text` is
//   scored. max_chunks_per_doc scores long documents in windows.
// POST /v2/rerank (CohereClientV2): {model, query, documents: string[],
//   top_n?, max_tokens_per_doc?} in, {id, results: [{index,
//   relevance_score}], meta} out; no document echo; `model` is required.
//
// relevance_score is Cappy's raw logit. Cohere's contract is only "higher is
// more relevant, roughly 0..1", which Cappy's regression score already is;
// a sigmoid would squeeze it into 0.5..0.73. See docs/server.md.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { rankScores } from '../scorer/ranking.js';
import { wordsOf } from '../scorer/windows.js';
import { HttpError } from './errors.js';
import { modelFor, scoreForRequest, type RouteContext } from './context.js';
import type { ScorerLike } from './types.js';
import { boundedArray, describe, objectBody, optionalBool, optionalInteger, requireString, stringArray, type Body } from './validate.js';

type Doc = string | Record<string, unknown>;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `rank_fields`: a non-empty list of field names, each once. */
function rankFields(body: Body): string[] | undefined {
  const v = body.rank_fields;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((f) => typeof f === 'string' && f !== '')) {
    throw new HttpError('INVALID_REQUEST', `"rank_fields" must be a non-empty array of field names, got ${describe(v)}`);
  }
  if (new Set(v).size !== v.length) throw new HttpError('INVALID_REQUEST', '"rank_fields" names a field twice');
  return v as string[];
}

/** A field's value as text: strings as they are, anything else as JSON. */
const fieldText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The text Cappy scores for each document. Without rank_fields: a string, or
 * an object's `text`. With them: `field: value` lines in rank_fields order
 * (a string document is `{text: string}`); a field a document lacks is left
 * out, and a document with none of them is refused.
 */
function documentTexts(docs: unknown[], fields: string[] | undefined): string[] {
  return docs.map((d, i) => {
    if (typeof d !== 'string' && !isObject(d)) {
      throw new HttpError('INVALID_REQUEST', `"documents[${i}]" must be a string or an object, got ${describe(d)}`);
    }
    if (!fields) {
      if (typeof d === 'string') return d;
      if (typeof d.text === 'string') return d.text;
      throw new HttpError(
        'INVALID_REQUEST',
        `"documents[${i}]" has no string "text"; add one, or name the fields to rank by in "rank_fields"`,
      );
    }
    const obj = typeof d === 'string' ? { text: d } : d;
    const lines = fields
      .filter((f) => Object.hasOwn(obj, f) && obj[f] !== undefined && obj[f] !== null)
      .map((f) => `${f}: ${fieldText(obj[f])}`);
    if (lines.length === 0) {
      throw new HttpError('UNPROCESSABLE', `"documents[${i}]" has none of the rank_fields (${fields.join(', ')}); nothing to score`);
    }
    return lines.join('\n');
  });
}

/** v1's echo: an object document as given, a string as {text}. */
const echo = (d: Doc) => (typeof d === 'string' ? { text: d } : d);

/**
 * Cohere v2's max_tokens_per_doc: each document keeps its first words
 * whose tokens (each word encoded alone, specials excluded, as
 * lib/scorer/windows.ts counts them) add up to at most `max`. A limit at or
 * above the model's own max length changes nothing (the pair is cut there
 * anyway), so it costs no tokenizing. A first word longer than the limit is
 * kept whole (the cut is at word boundaries; the model's truncation applies).
 */
async function capDocuments(scorer: ScorerLike, docs: string[], max: number): Promise<string[]> {
  if (max >= scorer.info.maxLength) return docs;
  const tok = scorer.tokenizer;
  if (!tok) throw new HttpError('UNPROCESSABLE', `max_tokens_per_doc ${max} is not available: this scorer exposes no tokenizer`);
  const [empty] = await tok.encodeBatch(['']);
  const specials = empty.ids.length;
  const words = docs.map((d) => wordsOf(d));
  const all = words.flat();
  const counts = all.length > 0 ? await tok.encodeBatch(all) : [];
  let at = 0;
  return docs.map((doc, i) => {
    let used = 0;
    let keep = 0;
    for (const _w of words[i]) {
      const n = counts[at + keep].ids.length - specials;
      if (keep > 0 && used + n > max) break;
      used += n;
      keep += 1;
    }
    const cut = keep === words[i].length ? doc : words[i].slice(0, keep).join('');
    at += words[i].length;
    return cut;
  });
}

const meta = (version: '1' | '2') => ({ api_version: { version }, billed_units: { search_units: 1 } });

export function cohereRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/rerank', { config: { metric: 'cohere_rerank' } }, async (request, reply) => {
    const body = objectBody(request.body);
    const { scorer } = modelFor(ctx, request, body);
    const query = requireString(body, 'query');
    const docs = boundedArray(body, 'documents', ctx.opts.maxRequestItems);
    const texts = documentTexts(docs, rankFields(body));
    const topN = optionalInteger(body, 'top_n', 1);
    const returnDocuments = optionalBool(body, 'return_documents', false);
    // Cohere's max_chunks_per_doc: chunk this request's long documents into at most that many windows (1: truncate).
    const maxChunks = optionalInteger(body, 'max_chunks_per_doc', 1, 1024);
    const call = maxChunks === undefined ? {} : { longInputs: 'chunk' as const, maxChunks };
    const scores = await scoreForRequest(
      ctx,
      request,
      reply,
      scorer,
      texts.map((t) => [query, t] as const),
      call,
    );
    // top_n beyond the document count returns them all, as Cohere does.
    return {
      id: randomUUID(),
      results: rankScores(scores, topN).map(({ index, score }) =>
        returnDocuments ? { index, relevance_score: score, document: echo(docs[index] as Doc) } : { index, relevance_score: score },
      ),
      meta: meta('1'),
    };
  });

  app.post('/v2/rerank', { config: { metric: 'cohere_rerank_v2' } }, async (request, reply) => {
    const body = objectBody(request.body);
    if (body.model === undefined || body.model === null) {
      throw new HttpError('INVALID_REQUEST', `"model" is required on /v2/rerank; models: ${ctx.models.names.join(', ')}`);
    }
    const { scorer } = modelFor(ctx, request, body);
    const query = requireString(body, 'query');
    const docs = boundedArray(body, 'documents', ctx.opts.maxRequestItems);
    if (docs.some(isObject)) {
      throw new HttpError(
        'INVALID_REQUEST',
        '"documents" on /v2/rerank are strings (format structured data as YAML strings), or send objects to /v1/rerank',
      );
    }
    const texts = stringArray(docs, 'documents');
    const topN = optionalInteger(body, 'top_n', 1);
    const maxTokens = optionalInteger(body, 'max_tokens_per_doc', 1);
    const capped = maxTokens === undefined ? texts : await capDocuments(scorer, texts, maxTokens);
    const scores = await scoreForRequest(
      ctx,
      request,
      reply,
      scorer,
      capped.map((t) => [query, t] as const),
    );
    return {
      id: randomUUID(),
      results: rankScores(scores, topN).map(({ index, score }) => ({ index, relevance_score: score })),
      meta: meta('2'),
    };
  });
}
