// `createServer(scorer, opts)`: a standalone Fastify app serving Cappy over
// TEI-, Cohere- and Cappy-native routes, and the pieces to embed it instead.
import Fastify, { type FastifyServerOptions } from 'fastify';
import { DRAIN_TIMEOUT, type ServerState } from './context.js';
import { HttpError, sendError } from './errors.js';
import type { CappyServer, CappyServerControls } from './controls.js';
import { ServerMetrics } from './metrics.js';
import { cappyPlugin, checkBoostModel, toModelSet, type ModelSource } from './plugin.js';
import { resolveServerOptions, type ServerOptions } from './types.js';

export { cappyPlugin, type CappyPluginOptions, type ModelSource } from './plugin.js';
export { ModelSet, type ModelState, type ServedModel } from './models.js';
export { ServerMetrics } from './metrics.js';
export { ERROR_TABLE, HttpError, mapError, type ErrorBody, type ErrorCode, type ErrorType, type ServerErrorCode } from './errors.js';
export type { CappyServer, CappyServerControls } from './controls.js';
export type { ServerState } from './context.js';
export type { ScoreCallOptions, ScorerLike, ScorerInfoLike, ScorerStatsLike, ServerOptions, TokenizerLike } from './types.js';
export { installShutdown, type ShutdownOptions } from './shutdown.js';

export interface CreateServerOptions extends ServerOptions {
  /** Fastify's logger option. Default: off. */
  logger?: FastifyServerOptions['logger'];
}

/**
 * A standalone server for one scorer, several scorers by name (`{fast: a,
 * slow: b}`; a request's `model` field picks one, `defaultModel` otherwise),
 * or a ModelSet whose models may still be loading (probes see it).
 */
export function createServer(source: ModelSource, options: CreateServerOptions = {}): CappyServer {
  const resolved = resolveServerOptions(options, 'createServer options', ['logger']); // fail on bad options before building anything
  const models = toModelSet(source, resolved);
  checkBoostModel(models, resolved);
  const state: ServerState = { draining: false };
  const inflight = new Set<AbortController>();
  const metrics = new ServerMetrics(models);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: resolved.bodyLimit,
    // Our own hook answers 503 in the {error, error_type} shape while draining.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // So a client that trickles its body cannot hold a connection forever.
    requestTimeout: Math.round(resolved.requestTimeout * 1000),
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(new HttpError('NOT_FOUND', `no route ${request.method} ${request.url}`), request, reply),
  );
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  const { logger: _logger, ...pluginOptions } = options;
  void app.register(cappyPlugin, { ...pluginOptions, resolved, models, state, metrics, inflight });

  let closing: Promise<void> | undefined;
  const controls: CappyServerControls = {
    get draining() {
      return state.draining;
    },
    drain() {
      state.draining = true;
      // close() stops the listener, marks responses Connection: close, and
      // resolves once in-flight requests have been answered.
      closing ??= app.close();
      return closing;
    },
    abortInFlight() {
      const n = inflight.size;
      for (const c of [...inflight]) c.abort(DRAIN_TIMEOUT);
      return n;
    },
    metrics,
    models,
  };
  app.decorate('cappy', controls);
  return app as unknown as CappyServer;
}
