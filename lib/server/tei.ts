// TEI-compatible scoring routes: POST /rerank (also at POST /, as TEI serves
// a reranker) and POST /predict (GET /info and GET /health live in ops.ts).
//
// Scores follow TEI's contract: a sigmoid of the logit unless the request
// sets raw_scores=true, which returns Cappy's raw logit. See docs/server.md
// for why the TEI routes keep TEI's default.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rankScores } from '../scorer/ranking.js';
import { HttpError } from './errors.js';
import { modelFor, scoreForRequest, type RouteContext } from './context.js';
import { sigmoid } from './timing.js';
import type { ScoreCallOptions, ScorerLike } from './types.js';
import {
  boundedArray,
  checkLengths,
  checkTruncationDirection,
  describe,
  objectBody,
  optionalBool,
  pairList,
  requireString,
  stringArray,
  type Body,
} from './validate.js';

/** Cappy has one output, labelled as HF labels a one-label head. */
export const LABEL = 'LABEL_0';

/** TEI /predict inputs: a pair, or a batch of pairs. A lone string cannot be scored by Cappy. */
function predictInputs(v: unknown, max: number): { pairs: [string, string][]; batch: boolean } {
  const notSingle = (x: unknown, where: string) => {
    if (typeof x === 'string' || (Array.isArray(x) && x.length === 1)) {
      throw new HttpError('UNPROCESSABLE', `${where}: Cappy scores (instruction, response) pairs; send ["instruction", "response"]`);
    }
  };
  if (typeof v === 'string') notSingle(v, '"inputs"');
  if (!Array.isArray(v)) throw new HttpError('INVALID_REQUEST', `"inputs" must be a pair or a batch of pairs, got ${describe(v)}`);
  if (v.length === 0) throw new HttpError('EMPTY', '"inputs" must not be empty');
  // As in TEI, the first element decides: a string starts a single pair, an array a batch.
  if (typeof v[0] === 'string') {
    notSingle(v, '"inputs"');
    return { pairs: pairList([v], 'inputs'), batch: false };
  }
  const items = boundedArray({ inputs: v }, 'inputs', max);
  items.forEach((x, i) => notSingle(x, `"inputs[${i}]"`));
  return { pairs: pairList(items, 'inputs'), batch: true };
}

/**
 * TEI's `truncate`. Absent: the model's own long-input handling (truncation,
 * Cappy's reference, unless the server chunks). true: truncate this request
 * even on a chunking server. false: a pair over the limit is a 422.
 */
async function truncation(
  scorer: ScorerLike,
  body: Body,
  firsts: readonly string[],
  seconds: readonly string[],
): Promise<Omit<ScoreCallOptions, 'signal'>> {
  checkTruncationDirection(body);
  const v = body.truncate;
  if (v === undefined || v === null) return {};
  const truncate = optionalBool(body, 'truncate', true);
  if (!truncate) await checkLengths(scorer, firsts, seconds);
  return { longInputs: 'truncate' };
}

export function teiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const rerank = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = objectBody(request.body);
    const { scorer } = modelFor(ctx, request, body);
    const query = requireString(body, 'query');
    const texts = stringArray(boundedArray(body, 'texts', ctx.opts.maxRequestItems), 'texts');
    const raw = optionalBool(body, 'raw_scores', false);
    const returnText = optionalBool(body, 'return_text', false);
    const call = await truncation(
      scorer,
      body,
      texts.map(() => query),
      texts,
    );
    const scores = await scoreForRequest(
      ctx,
      request,
      reply,
      scorer,
      texts.map((t) => [query, t] as const),
      call,
    );
    // Ranked on the raw value: the sigmoid is monotonic but can tie distinct logits.
    return rankScores(scores).map(({ index, score }) =>
      returnText ? { index, text: texts[index], score: raw ? score : sigmoid(score) } : { index, score: raw ? score : sigmoid(score) },
    );
  };
  app.post('/rerank', { config: { metric: 'rerank' } }, rerank);
  // TEI answers POST / by model type; for a reranker (what Cappy is) it is
  // /rerank. Clients that call an endpoint's base URL rely on it.
  app.post('/', { config: { metric: 'rerank' } }, rerank);

  app.post('/predict', { config: { metric: 'predict' } }, async (request, reply) => {
    const body = objectBody(request.body);
    const { scorer } = modelFor(ctx, request, body);
    const { pairs, batch } = predictInputs(body.inputs, ctx.opts.maxRequestItems);
    const raw = optionalBool(body, 'raw_scores', false);
    const call = await truncation(
      scorer,
      body,
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    );
    const scores = await scoreForRequest(ctx, request, reply, scorer, pairs, call);
    const one = (s: number) => [{ score: raw ? s : sigmoid(s), label: LABEL }];
    return batch ? Array.from(scores, one) : one(scores[0]);
  });
}
