// What every route module shares: the scorer, resolved options, metrics, and
// the per-request record that the hooks turn into metrics and headers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pair } from '../scorer/pairs.js';
import type { ServerMetrics } from './metrics.js';
import { abortOnDisconnect, scoreTimed, setTimingHeaders, type Timings } from './timing.js';
import type { ResolvedServerOptions, ScorerLike } from './types.js';

export interface ServerState {
  /** Set when shutdown begins: new requests get 503 while accepted ones finish. */
  draining: boolean;
}

export interface RouteContext {
  scorer: ScorerLike;
  opts: ResolvedServerOptions;
  metrics: ServerMetrics;
  state: ServerState;
}

/** Per-request facts the onResponse hook reports. */
export interface RequestRecord {
  timings?: Timings;
  errLabel?: string;
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

/** Scores pairs for a unary route: cancels on disconnect, sets the timing headers. */
export async function scoreForRequest(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  pairs: readonly Pair[],
): Promise<Float32Array> {
  const { scores, timings } = await scoreTimed(ctx.scorer, pairs, abortOnDisconnect(reply));
  recordOf(request).timings = timings;
  setTimingHeaders(reply, timings);
  return scores;
}
