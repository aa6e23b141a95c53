// Remote scoring (RemoteScorer, `cappy score --endpoint`), declared once.
import { decimal, httpUrl, integer, list, text } from './spec.js';

export const REMOTE_OPTIONS = {
  /** TEI-compatible servers (`cappy serve` or TEI): base URLs. The library takes them as RemoteScorer's first argument. */
  endpoint: list(httpUrl({ help: '' }), { help: 'score on these TEI-compatible servers instead of in process; repeat for several' }),
  /** Pairs per request; lowered to each server's /info max_client_batch_size. */
  remoteBatchSize: integer({ max: 65536, default: 64, help: "pairs per request (at most each server's max_client_batch_size)" }),
  /** Requests in flight per endpoint; lowered to its /info max_concurrent_requests. */
  endpointConcurrency: integer({ max: 1024, default: 4, help: 'requests in flight per endpoint (at most its max_concurrent_requests)' }),
  /** A request (one batch) that takes longer fails and is retried elsewhere. */
  remoteTimeout: decimal({
    min: 0.001,
    max: 86_400,
    unit: 'seconds',
    default: 300,
    help: 'longest wait for one request; then it is retried',
  }),
  /** When no endpoint has answered for this long, scoring fails with RemoteError. */
  remoteGiveUp: decimal({
    min: 0,
    max: 86_400,
    unit: 'seconds',
    default: 60,
    help: 'fail (RemoteError) when every endpoint stays unreachable this long',
  }),
  /** Tries per batch for retryable answers (429, 502, 503, 504) before RemoteError. */
  remoteMaxAttempts: integer({ max: 1000, default: 10, help: 'tries per batch on 429/502/503/504 before giving up' }),
  /** Sent as "Authorization: Bearer <key>" (a `cappy serve --api-key` server, or TEI behind a gateway). */
  remoteApiKey: text({ placeholder: 'key', secret: true, help: 'bearer key for the endpoints' }),
} as const;

export type RemoteOptionKey = keyof typeof REMOTE_OPTIONS;
