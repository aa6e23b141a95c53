// Cohere-style POST /v1/rerank, the shape LangChain, LlamaIndex and Haystack
// rerank clients send: {query, documents, top_n?, return_documents?} in,
// {id, results: [{index, relevance_score, document?}], meta} out. `model`
// picks one of the served models (the default when absent);
// `max_chunks_per_doc` scores long documents in windows (docs/server.md).
//
// relevance_score is Cappy's raw logit. Cohere's contract is only "higher is
// more relevant, roughly 0..1", which Cappy's regression score already is;
// a sigmoid would squeeze it into 0.5..0.73. See docs/server.md.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { rankScores } from '../scorer/ranking.js';
import { HttpError } from './errors.js';
import { modelFor, scoreForRequest, type RouteContext } from './context.js';
import { boundedArray, describe, objectBody, optionalBool, optionalInteger, requireString } from './validate.js';

/** Documents come as strings or as objects with a `text` field. */
function documentTexts(docs: unknown[]): string[] {
  return docs.map((d, i) => {
    if (typeof d === 'string') return d;
    if (d !== null && typeof d === 'object' && !Array.isArray(d) && typeof (d as { text?: unknown }).text === 'string') {
      return (d as { text: string }).text;
    }
    throw new HttpError('BAD_REQUEST', `"documents[${i}]" must be a string or {"text": string}, got ${describe(d)}`);
  });
}

export function cohereRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/rerank', { config: { metric: 'cohere_rerank' } }, async (request, reply) => {
    const body = objectBody(request.body);
    const { scorer } = modelFor(ctx, request, body);
    const query = requireString(body, 'query');
    const texts = documentTexts(boundedArray(body, 'documents', ctx.opts.maxRequestItems));
    const topN = optionalInteger(body, 'top_n', 1);
    const returnDocuments = optionalBool(body, 'return_documents', false);
    // Cohere's max_chunks_per_doc: chunk this request's long documents into at most that many windows (1: truncate).
    const maxChunks = optionalInteger(body, 'max_chunks_per_doc', 1, 1024);
    const call = maxChunks === undefined ? {} : { longInputs: 'chunk' as const, maxChunks };
    const scores = await scoreForRequest(ctx, request, reply, scorer, texts.map((t) => [query, t] as const), call);
    // top_n beyond the document count returns them all, as Cohere does.
    const kept = rankScores(scores, topN);
    return {
      id: randomUUID(),
      results: kept.map(({ index, score }) =>
        returnDocuments ? { index, relevance_score: score, document: { text: texts[index] } } : { index, relevance_score: score },
      ),
      meta: { api_version: { version: '1' }, billed_units: { search_units: 1 } },
    };
  });
}
