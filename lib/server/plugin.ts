// The Fastify plugin: every Cappy route with its hooks, mountable into an
// existing app (optionally under a prefix). It is deliberately encapsulated
// (not wrapped with fastify-plugin): its auth, body limit, error format and
// hooks apply to its own routes only and never leak into the host app.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerChecker } from './auth.js';
import { cohereRoutes } from './cohere.js';
import { methodOf, recordOf, type RouteContext, type ServerState } from './context.js';
import { HttpError, mapError, sendError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { nativeRoutes } from './native.js';
import { teiRoutes } from './tei.js';
import { resolveServerOptions, type ScorerLike, type ServerOptions } from './types.js';

export interface CappyPluginOptions extends ServerOptions {
  scorer: ScorerLike;
  /** Shared drain flag; createServer passes its own. Set `draining` to refuse new work with 503. */
  state?: ServerState;
  /** Metrics to record into; by default the plugin makes its own registry. */
  metrics?: ServerMetrics;
}

export async function cappyPlugin(app: FastifyInstance, options: CappyPluginOptions): Promise<void> {
  const { scorer } = options;
  if (!scorer || typeof scorer.scoreBatch !== 'function' || typeof scorer.stats !== 'function') {
    throw new TypeError('cappyPlugin needs { scorer }: a Scorer (or an object with its methods)');
  }
  const opts = resolveServerOptions(options);
  const ctx: RouteContext = {
    scorer,
    opts,
    metrics: options.metrics ?? new ServerMetrics(scorer),
    state: options.state ?? { draining: false },
  };
  const checkAuth = opts.apiKey === undefined ? undefined : bearerChecker(opts.apiKey);

  // Every route of this plugin gets the server's body limit unless it sets one.
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= opts.bodyLimit;
  });

  app.setErrorHandler((error, request, reply) => {
    recordOf(request).errLabel = mapError(error).label;
    return sendError(error, request, reply);
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const method = methodOf(request);
    if (method) {
      ctx.metrics.received(method);
      // A client that leaves before its answer never reaches onResponse
      // (nothing finishes); count it when the connection closes, as a cancellation.
      const rec = recordOf(request);
      const started = performance.now();
      reply.raw.once('close', () => {
        if (reply.raw.writableFinished || rec.counted) return;
        rec.counted = true;
        ctx.metrics.failed(method, 'ABORTED', (performance.now() - started) / 1000);
      });
    }
    if (ctx.state.draining) throw new HttpError('DRAINING', 'server is shutting down; retry on another instance');
    const config = request.routeOptions.config as { public?: boolean } | undefined;
    if (checkAuth && config?.public !== true) checkAuth(request.headers.authorization);
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
    const seconds = reply.elapsedTime / 1000;
    if (reply.statusCode < 400 && rec.errLabel === undefined) ctx.metrics.succeeded(method, seconds, rec.timings);
    else ctx.metrics.failed(method, rec.errLabel ?? String(reply.statusCode), seconds);
  });

  teiRoutes(app, ctx);
  cohereRoutes(app, ctx);
  nativeRoutes(app, ctx);

  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
