// What every route module shares: the models, resolved options, metrics, the
// drain state, and the per-request record that the hooks turn into metrics
// and headers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pair } from '../scorer/pairs.js';
import { HttpError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { ModelSet, ServedModel } from './models.js';
import { scoreTimed, setTimingHeaders, type Timings } from './timing.js';
import type { ResolvedServerOptions, ScoreCallOptions, ScorerLike } from './types.js';
import { describe, type Body } from './validate.js';

export interface ServerState {
  /** Set when shutdown begins: new requests get 503 while accepted ones finish. */
  draining: boolean;
}

export interface RouteContext {
  models: ModelSet;
  opts: ResolvedServerOptions;
  metrics: ServerMetrics;
  state: ServerState;
  /** One controller per request being worked on, so a drain timeout can fail them all. */
  inflight: Set<AbortController>;
}

/** Per-request facts the hooks report. */
export interface RequestRecord {
  timings?: Timings;
  errLabel?: string;
  /** The model the request is for ('' until known, or when it names none served here). */
  model?: string;
  /** Set once `received` is counted. */
  received?: boolean;
  /** Set once the outcome is in the metrics, so no request is counted twice. */
  counted?: boolean;
}

const records = new WeakMap<FastifyRequest, RequestRecord>();

export function recordOf(request: FastifyRequest): RequestRecord {
  let r = records.get(request);
  if (!r) {
    r = {};
    records.set(request, r);
  }
  return r;
}

/** The metrics label a route declares in its config; routes without one are not counted. */
export function methodOf(request: FastifyRequest): string | undefined {
  const config = request.routeOptions.config as { metric?: unknown } | undefined;
  return typeof config?.metric === 'string' ? config.metric : undefined;
}

/**
 * The model a request names: the body's `model` field (Cohere, Jina and
 * OpenAI shapes), else the `?model=` query parameter (for NDJSON bodies),
 * else undefined (the default model).
 */
export function requestedModel(request: FastifyRequest, body?: Body): string | undefined {
  const fromBody = body?.model;
  const query = request.query as Record<string, unknown> | undefined;
  const v = fromBody ?? query?.model;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError('INVALID_REQUEST', `"model" must be a string, got ${describe(v)}`);
  return v;
}

/** The ready scorer of the model the request names (404 unknown, 503 not ready). */
export function modelFor(ctx: RouteContext, request: FastifyRequest, body?: Body): { model: ServedModel; scorer: ScorerLike } {
  const picked = ctx.models.scorerOf(requestedModel(request, body));
  recordOf(request).model = picked.model.name;
  return picked;
}

/** Raised into a request's signal when the drain timeout passes. */
export const DRAIN_TIMEOUT = new HttpError(
  'DRAINING',
  'the server is shutting down and its drain timeout passed before this request finished',
);

/**
 * A signal that aborts when the connection closes before the answer was
 * written (a client that gives up stops costing compute: queued pairs are
 * dropped and native batches not yet started are skipped), or when the drain
 * timeout fails every request still running.
 */
export function requestSignal(ctx: RouteContext, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  ctx.inflight.add(controller);
  const res = reply.raw;
  res.once('close', () => {
    ctx.inflight.delete(controller);
    if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

/** Rethrows a failure caused by the drain timeout as the 503 it is. */
export function drainAware(signal: AbortSignal, e: unknown): unknown {
  return signal.aborted && signal.reason === DRAIN_TIMEOUT ? DRAIN_TIMEOUT : e;
}

/**
 * Scores pairs for a unary route: requests bigger than max_client_batch_size
 * go as several calls (answered as one, in order), cancels on disconnect,
 * sets the timing headers.
 */
export async function scoreForRequest(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  scorer: ScorerLike,
  pairs: readonly Pair[],
  call: Omit<ScoreCallOptions, 'signal'> = {},
): Promise<Float32Array> {
  const signal = requestSignal(ctx, reply);
  try {
    const { scores, timings } = await scoreTimed(scorer, pairs, signal, ctx.opts.maxClientBatchSize, call);
    recordOf(request).timings = timings;
    setTimingHeaders(reply, timings);
    return scores;
  } catch (e) {
    throw drainAware(signal, e);
  }
}
