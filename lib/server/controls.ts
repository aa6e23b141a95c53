// What createServer adds to its Fastify instance (`server.cappy`): drain,
// abort and the metrics, typed apart from index.ts so the shutdown handler
// can take a server without importing the module that builds one.
import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from './metrics.js';
import type { ModelSet } from './models.js';

export interface CappyServerControls {
  /** True once drain() has begun. */
  readonly draining: boolean;
  /**
   * Stops accepting: new requests get 503 and the listener closes, while
   * every request already accepted runs to its full answer. Resolves when the
   * last one is done. Does not dispose the scorer (the caller owns it).
   */
  drain(): Promise<void>;
  /**
   * Fails every request still being worked on with a 503 (the drain timeout
   * passed). Their answers go out, so a drain in progress can then finish.
   */
  abortInFlight(): number;
  readonly metrics: ServerMetrics;
  readonly models: ModelSet;
}

export type CappyServer = FastifyInstance & { cappy: CappyServerControls };
