// `createServer(scorer, opts)`: a standalone Fastify app serving Cappy over
// TEI-, Cohere- and Cappy-native routes, and the pieces to embed it instead.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ServerState } from './context.js';
import { HttpError, sendError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { cappyPlugin } from './plugin.js';
import { resolveServerOptions, type ScorerLike, type ServerOptions } from './types.js';

export { cappyPlugin, type CappyPluginOptions } from './plugin.js';
export { ServerMetrics } from './metrics.js';
export { ERROR_TABLE, HttpError, mapError, type ErrorBody, type ErrorType } from './errors.js';
export type { ServerState } from './context.js';
export type { ScorerLike, ScorerInfoLike, ScorerStatsLike, ServerOptions, TokenizerLike } from './types.js';
export { installShutdown, type ShutdownOptions } from './shutdown.js';

export interface CreateServerOptions extends ServerOptions {
  /** Fastify's logger option. Default: off. */
  logger?: FastifyServerOptions['logger'];
}

export interface CappyServerControls {
  /** True once drain() has begun. */
  readonly draining: boolean;
  /**
   * Stops accepting: new requests get 503 and the listener closes, while
   * every request already accepted runs to its full answer. Resolves when the
   * last one is done. Does not dispose the scorer (the caller owns it).
   */
  drain(): Promise<void>;
  readonly metrics: ServerMetrics;
}

export type CappyServer = FastifyInstance & { cappy: CappyServerControls };

export function createServer(scorer: ScorerLike, options: CreateServerOptions = {}): CappyServer {
  const resolved = resolveServerOptions(options); // fail on bad options before building anything
  const state: ServerState = { draining: false };
  const metrics = new ServerMetrics(scorer);
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
  void app.register(cappyPlugin, { ...pluginOptions, scorer, state, metrics });

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
    metrics,
  };
  app.decorate('cappy', controls);
  return app as unknown as CappyServer;
}
