// Cappy as a booster in front of any OpenAI-compatible LLM server:
// POST /v1/chat/completions and /v1/completions ask the upstream for N
// candidates, score each against the rendered prompt, and answer with the
// best one(s) in the upstream's own response shape, every candidate's score
// in the `cappy_boost` extension field. See docs/server.md, "Boosting an LLM".
//
// Errors on these routes come in OpenAI's shape ({error: {message, type,
// code, param}}); an upstream error passes through as the upstream sent it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CHAT_RENDERING, messageText, PROMPT_RENDERING, renderChat, renderPrompt } from '../boost/render.js';
import { Upstream, UpstreamFailure } from '../boost/upstream.js';
import { rankScores } from '../scorer/ranking.js';
import { drainAware, recordOf, requestSignal, type RouteContext } from './context.js';
import { errorHeaders, HttpError, mapError } from './errors.js';
import { retryAfterFor } from './retry-after.js';
import { scoreTimed, setTimingHeaders } from './timing.js';
import { asInvalidRequest, describe, objectBody, optionalInteger, type Body } from './validate.js';

type Json = Record<string, unknown>;
type Kind = 'chat' | 'completions';

export interface BoostCandidate {
  /** Position among the candidates as received from the upstream. */
  index: number;
  score: number;
  /** Its rank among the answers returned (0 = the best), or null when not returned. */
  chosen: number | null;
  finish_reason: unknown;
  text: string;
}

/** The `cappy_boost` extension field of a boosted answer. */
export interface BoostExtension {
  scorer: string;
  rendering: string;
  instruction_chars: number;
  n: number;
  mode: 'n' | 'parallel';
  upstream_requests: number;
  upstream_ms: number;
  scoring_ms: number;
  candidates: BoostCandidate[];
}

export const MAX_BOOST_N = 64;

/** What Cappy scores of a candidate: a completion's text, or a chat message's text and tool calls (render.ts). */
function candidateText(kind: Kind, choice: Json): string {
  if (kind === 'completions') return typeof choice.text === 'string' ? choice.text : '';
  return messageText(choice.message) ?? '';
}

/** `{"cappy_boost": {"n": 8}}` in a request overrides --boost-n for it. */
function requestN(body: Body): number | undefined {
  const ext = body.cappy_boost;
  if (ext === undefined || ext === null) return undefined;
  if (typeof ext !== 'object' || Array.isArray(ext))
    throw new HttpError('INVALID_REQUEST', `"cappy_boost" must be an object, got ${describe(ext)}`);
  return optionalInteger(ext as Body, 'n', 1, MAX_BOOST_N);
}

/**
 * The documented answer to `stream: true`: the candidates must all be in
 * before one is chosen, so the upstream is asked without streaming and the
 * chosen answer goes out as a short event stream: one chunk with the whole
 * text per answer, one with its finish_reason, a usage chunk when
 * stream_options.include_usage asks for it, a last chunk (no choices) with
 * `cappy_boost`, then `data: [DONE]`.
 */
function eventStream(kind: Kind, answer: Json, includeUsage: boolean): string {
  const head = {
    id: answer.id,
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: answer.created,
    model: answer.model,
  };
  const chunks: Json[] = [];
  for (const c of answer.choices as Json[]) {
    if (kind === 'chat') {
      const m = (c.message ?? {}) as Json;
      const { role, content, tool_calls, ...rest } = m;
      const delta: Json = { role: role ?? 'assistant', content: content ?? null, ...rest };
      if (Array.isArray(tool_calls)) delta.tool_calls = tool_calls.map((t, i) => ({ index: i, ...(t as Json) }));
      chunks.push({ ...head, choices: [{ index: c.index, delta, logprobs: c.logprobs ?? null, finish_reason: null }] });
      chunks.push({ ...head, choices: [{ index: c.index, delta: {}, logprobs: null, finish_reason: c.finish_reason ?? 'stop' }] });
    } else {
      chunks.push({ ...head, choices: [{ index: c.index, text: c.text ?? '', logprobs: c.logprobs ?? null, finish_reason: null }] });
      chunks.push({ ...head, choices: [{ index: c.index, text: '', logprobs: null, finish_reason: c.finish_reason ?? 'stop' }] });
    }
  }
  if (includeUsage && answer.usage !== undefined) chunks.push({ ...head, choices: [], usage: answer.usage });
  chunks.push({ ...head, choices: [], cappy_boost: answer.cappy_boost });
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n';
}

export interface BoostRouteOptions {
  upstream: Upstream;
  /** Candidates per request. */
  n: number;
  /** The served model that scores (undefined: the default model). */
  scorer: string | undefined;
  /** Sent upstream as `Authorization: Bearer`. */
  upstreamKey: string | undefined;
  /** Forward the client's own Authorization header (only when this server checks no key itself). */
  forwardClientAuth: boolean;
}

export function boostRoutes(app: FastifyInstance, ctx: RouteContext, o: BoostRouteOptions): void {
  const handle = async (kind: Kind, request: FastifyRequest, reply: FastifyReply) => {
    const body = objectBody(request.body);
    const instruction = asInvalidRequest(() => (kind === 'chat' ? renderChat(body.messages) : renderPrompt(body.prompt)));
    const wanted = optionalInteger(body, 'n', 1, MAX_BOOST_N) ?? 1;
    const n = Math.max(requestN(body) ?? o.n, wanted);
    if (body.stream !== undefined && typeof body.stream !== 'boolean')
      throw new HttpError('INVALID_REQUEST', `"stream" must be a boolean, got ${describe(body.stream)}`);
    // The request's `model` is the LLM's name and goes upstream; Cappy's scorer is --boost-model.
    const { model, scorer } = ctx.models.scorerOf(o.scorer);
    recordOf(request).model = model.name;
    const headers: Record<string, string> = {};
    if (o.upstreamKey !== undefined) headers.authorization = `Bearer ${o.upstreamKey}`;
    else if (o.forwardClientAuth && typeof request.headers.authorization === 'string')
      headers.authorization = request.headers.authorization;

    const signal = requestSignal(ctx, reply);
    try {
      const { cappy_boost: _ext, ...upstreamBody } = body;
      const path = kind === 'chat' ? '/chat/completions' : '/completions';
      const got = await o.upstream.gather(path, upstreamBody, n, headers, signal);
      if (got.choices.length === 0) throw UpstreamFailure.gateway(502, 'upstream answered with no choices', 'upstream_bad_response');
      const texts = got.choices.map((c) => candidateText(kind, c));
      // Identical candidates (greedy decoding, short answers) are scored once.
      const unique = [...new Set(texts)];
      const { scores, timings } = await scoreTimed(
        scorer,
        unique.map((t) => [instruction, t] as const),
        signal,
      );
      recordOf(request).timings = timings;
      setTimingHeaders(reply, timings);
      reply.header('x-upstream-time', String(Math.round(got.ms)));
      const byText = new Map(unique.map((t, i) => [t, scores[i]]));
      const all = Float32Array.from(texts, (t) => byText.get(t)!);
      const ranked = rankScores(all, wanted);
      const rankOf = new Map(ranked.map((r, i) => [r.index, i]));
      const cappy_boost: BoostExtension = {
        scorer: model.name,
        rendering: kind === 'chat' ? CHAT_RENDERING : PROMPT_RENDERING,
        instruction_chars: instruction.length,
        n,
        mode: got.mode,
        upstream_requests: got.requests,
        upstream_ms: Math.round(got.ms),
        scoring_ms: Math.round(timings.computeMs),
        candidates: texts.map((text, index) => ({
          index,
          score: all[index],
          chosen: rankOf.get(index) ?? null,
          finish_reason: got.choices[index].finish_reason ?? null,
          text,
        })),
      };
      const answer: Json = {
        ...got.first,
        choices: ranked.map((r, i) => ({ ...got.choices[r.index], index: i })),
        ...(got.usage !== undefined ? { usage: got.usage } : {}),
        cappy_boost,
      };
      if (body.stream === true) {
        const opts = body.stream_options as Json | undefined;
        return reply
          .type('text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(eventStream(kind, answer, opts?.include_usage === true));
      }
      return answer;
    } catch (e) {
      throw drainAware(signal, e);
    }
  };

  // A scope of its own, so these routes answer errors in OpenAI's shape while
  // keeping the plugin's hooks (auth, drain, metrics).
  void app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      if (error instanceof UpstreamFailure) {
        recordOf(request).errLabel = error.code ?? `UPSTREAM_${error.status}`;
        // The upstream's own Retry-After passes through; a 429 without one gets 1 s.
        if (error.retryAfter !== undefined) reply.header('retry-after', error.retryAfter);
        else if (error.status === 429) reply.header('retry-after', '1');
        return reply.code(error.status).type(error.contentType).send(error.body);
      }
      const m = mapError(error);
      const rec = recordOf(request);
      rec.errLabel = m.label;
      if (m.label === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
      errorHeaders(reply, m, m.status === 429 ? retryAfterFor(ctx, rec.model) : undefined);
      return reply
        .code(m.status)
        .type('application/json; charset=utf-8')
        .send({ error: { message: m.body.error, type: m.body.error_type, code: m.label, param: null } });
    });
    // `model` in the config: the metrics label (the body's `model` names the LLM).
    const config = (metric: string) => ({ config: { metric, model: o.scorer ?? ctx.models.defaultName } });
    scope.post('/v1/chat/completions', config('chat_completions'), (request, reply) => handle('chat', request, reply));
    scope.post('/v1/completions', config('completions'), (request, reply) => handle('completions', request, reply));
  });
}
