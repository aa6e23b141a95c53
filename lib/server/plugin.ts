// The Fastify plugin: every Cappy route with its hooks, mountable into an
// existing app (optionally under a prefix). It is deliberately encapsulated
// (not wrapped with fastify-plugin): its auth, body limit, error format and
// hooks apply to its own routes only and never leak into the host app.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Upstream } from '../boost/upstream.js';
import { InvalidInputError } from '../errors/index.js';
import { bearerChecker } from './auth.js';
import { boostRoutes } from './boost.js';
import { cohereRoutes } from './cohere.js';
import { methodOf, recordOf, requestedModel, type RequestRecord, type RouteContext, type ServerState } from './context.js';
import { HttpError, mapError, sendError } from './errors.js';
import { retryAfterFor } from './retry-after.js';
import { ServerMetrics } from './metrics.js';
import { folderName, ModelSet } from './models.js';
import { nativeRoutes } from './native.js';
import { opsRoutes } from './ops.js';
import { teiRoutes } from './tei.js';
import { resolveServerOptions, type ResolvedServerOptions, type ScorerLike, type ServerOptions } from './types.js';
import type { Body } from './validate.js';

/** What a server serves: one scorer, scorers by name, or a ModelSet whose models may still be loading. */
export type ModelSource = ScorerLike | Readonly<Record<string, ScorerLike>> | ModelSet;

export interface CappyPluginOptions extends ServerOptions {
  /** One scorer (named `modelId`, else its folder), or several by name. */
  scorer?: ScorerLike | Readonly<Record<string, ScorerLike>>;
  /** Models that may still be loading (the CLI's way): the server answers probes meanwhile. */
  models?: ModelSet;
  /** Shared drain flag; createServer passes its own. Set `draining` to refuse new work with 503. */
  state?: ServerState;
  /** Metrics to record into; by default the plugin makes its own registry. */
  metrics?: ServerMetrics;
  /** Requests being worked on (createServer passes its own, to fail them at the drain timeout). */
  inflight?: Set<AbortController>;
  /** Options already resolved by createServer (so they are resolved once). */
  resolved?: ResolvedServerOptions;
}

/** The plugin's own keys beside the server options, and those Fastify's register() passes along. */
const PLUGIN_KEYS = ['scorer', 'models', 'state', 'metrics', 'inflight', 'resolved', 'prefix', 'logLevel', 'logSerializers'];

function isScorer(v: unknown): v is ScorerLike {
  return v !== null && typeof v === 'object' && typeof (v as ScorerLike).scoreBatch === 'function';
}

/** Any model source as a ModelSet. */
export function toModelSet(source: ModelSource | undefined, opts: ResolvedServerOptions): ModelSet {
  if (source instanceof ModelSet) return source;
  if (isScorer(source)) {
    if (typeof source.stats !== 'function') throw new InvalidInputError('a scorer needs scoreBatch and stats (the Scorer API)');
    return ModelSet.of({ [opts.modelId ?? folderName(source.info.model.dir)]: source });
  }
  if (source && typeof source === 'object' && Object.values(source).length > 0 && Object.values(source).every(isScorer)) {
    return ModelSet.of(source, opts.defaultModel);
  }
  throw new InvalidInputError('a Cappy server needs { scorer } (a Scorer, or scorers by name) or { models } (a ModelSet)');
}

/** --boost-model must name a served model; said at start, not on every request. */
export function checkBoostModel(models: ModelSet, opts: ResolvedServerOptions): void {
  if (opts.boostUpstream !== undefined && opts.boostModel !== undefined && !models.names.includes(opts.boostModel)) {
    throw new InvalidInputError(`boostModel '${opts.boostModel}' is not among the models (${models.names.join(', ')})`);
  }
}

/** Counts a request as received once, under the model it names (known names only, so labels stay bounded). */
function countReceived(ctx: RouteContext, request: FastifyRequest, rec: RequestRecord, method: string): void {
  if (rec.received) return;
  rec.received = true;
  if (rec.model === undefined) {
    // A route may fix its model (the boost routes: the body's `model` names the LLM).
    let name = (request.routeOptions.config as { model?: string } | undefined)?.model;
    try {
      name ??= requestedModel(request, (request.body ?? undefined) as Body | undefined) ?? ctx.models.defaultName;
    } catch {
      name = undefined;
    }
    rec.model = name !== undefined && ctx.models.names.includes(name) ? name : '';
  }
  ctx.metrics.received(method, rec.model);
}

export async function cappyPlugin(app: FastifyInstance, options: CappyPluginOptions): Promise<void> {
  const opts = options.resolved ?? resolveServerOptions(options, 'cappyPlugin options', PLUGIN_KEYS);
  const models = options.models ?? toModelSet(options.scorer, opts);
  const ctx: RouteContext = {
    models,
    opts,
    metrics: options.metrics ?? new ServerMetrics(models),
    state: options.state ?? { draining: false },
    inflight: options.inflight ?? new Set(),
  };
  const checkAuth = opts.apiKey === undefined ? undefined : bearerChecker(opts.apiKey);

  // Every route of this plugin gets the server's body limit unless it sets one.
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= opts.bodyLimit;
  });

  app.setErrorHandler((error, request, reply) => {
    const rec = recordOf(request);
    const m = mapError(error);
    rec.errLabel = m.label;
    return sendError(error, request, reply, m.status === 429 ? retryAfterFor(ctx, rec.model) : undefined);
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const method = methodOf(request);
    if (method) {
      // A client that leaves before its answer never reaches onResponse
      // (nothing finishes); count it when the connection closes, as a cancellation.
      const rec = recordOf(request);
      const started = performance.now();
      reply.raw.once('close', () => {
        if (reply.raw.writableFinished || rec.counted) return;
        rec.counted = true;
        countReceived(ctx, request, rec, method);
        ctx.metrics.failed(method, rec.model ?? '', 'ABORTED', (performance.now() - started) / 1000);
      });
    }
    // Probes (the public routes) answer for themselves while draining.
    const config = request.routeOptions.config as { public?: boolean } | undefined;
    if (config?.public === true) return;
    if (ctx.state.draining) throw new HttpError('DRAINING', 'server is shutting down; retry on another instance');
    if (checkAuth) checkAuth(request.headers.authorization);
  });

  // Counted once the body is read, so the count carries the model it names.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const method = methodOf(request);
    if (method) countReceived(ctx, request, recordOf(request), method);
  });

  app.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    reply.header('x-total-time', String(Math.round(reply.elapsedTime)));
    // Responses finished while draining close their connection, so a
    // kept-alive socket does not hold the shutdown open until it times out.
    if (ctx.state.draining) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const method = methodOf(request);
    const rec = recordOf(request);
    if (!method || rec.counted) return;
    rec.counted = true;
    countReceived(ctx, request, rec, method);
    const seconds = reply.elapsedTime / 1000;
    const model = rec.model ?? '';
    if (reply.statusCode < 400 && rec.errLabel === undefined) ctx.metrics.succeeded(method, model, seconds, rec.timings);
    else ctx.metrics.failed(method, model, rec.errLabel ?? String(reply.statusCode), seconds);
  });

  teiRoutes(app, ctx);
  cohereRoutes(app, ctx);
  nativeRoutes(app, ctx);
  opsRoutes(app, ctx);
  if (opts.boostUpstream !== undefined) {
    checkBoostModel(models, opts);
    boostRoutes(app, ctx, {
      upstream: new Upstream({ baseUrl: opts.boostUpstream, mode: opts.boostMode, timeoutMs: opts.boostTimeout * 1000 }),
      n: opts.boostN,
      scorer: opts.boostModel,
      upstreamKey: opts.boostUpstreamKey,
      // The upstream's own key, when set, replaces the client's header; so does this server's key check.
      forwardClientAuth: opts.apiKey === undefined && opts.boostUpstreamKey === undefined,
    });
  }
}
