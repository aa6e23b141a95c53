// One table from error codes to HTTP status and TEI's `error_type`, so a
// given failure always answers the same way on every route. Engine errors
// carry a stable `code` (lib/errors); errors the server raises itself carry
// the server codes below; Fastify's own errors carry a statusCode.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** TEI's error types, plus the few a TEI server has no need for. */
export type ErrorType = 'Validation' | 'Tokenizer' | 'Overloaded' | 'Backend' | 'Unhealthy' | 'Unauthorized' | 'NotFound' | 'Aborted';

export type ServerErrorCode =
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNPROCESSABLE'
  | 'UNAUTHORIZED'
  | 'DRAINING'
  | 'NOT_READY'
  | 'NOT_FOUND';

interface Mapping {
  status: number;
  type: ErrorType;
}

/** Engine codes (CappyErrorCode) and server codes, to status and type. */
export const ERROR_TABLE: Readonly<Record<string, Mapping>> = Object.freeze({
  // Raised by the server while reading the request.
  BAD_REQUEST: { status: 400, type: 'Validation' },
  PAYLOAD_TOO_LARGE: { status: 413, type: 'Validation' },
  UNPROCESSABLE: { status: 422, type: 'Validation' },
  UNAUTHORIZED: { status: 401, type: 'Unauthorized' },
  DRAINING: { status: 503, type: 'Unhealthy' },
  // The model is loading or warming: come back soon (with Retry-After).
  NOT_READY: { status: 503, type: 'Unhealthy' },
  NOT_FOUND: { status: 404, type: 'NotFound' },
  // Raised by the engine.
  INVALID_INPUT: { status: 422, type: 'Validation' },
  TOKENIZER: { status: 422, type: 'Tokenizer' },
  QUEUE_FULL: { status: 429, type: 'Overloaded' },
  // 499 is nginx's "client closed request": nobody reads it, but the access
  // log and the metrics then tell cancellations apart from failures.
  ABORTED: { status: 499, type: 'Aborted' },
  DISPOSED: { status: 503, type: 'Unhealthy' },
  RUNTIME: { status: 424, type: 'Backend' },
  MODEL_LOAD: { status: 500, type: 'Backend' },
  DEVICE_UNAVAILABLE: { status: 500, type: 'Backend' },
});

/** An error the server raises on purpose; its code is a key of ERROR_TABLE. */
export class HttpError extends Error {
  readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
  }
}

export interface ErrorBody {
  error: string;
  error_type: ErrorType;
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Short label for metrics: the code, or the status for foreign errors. */
  label: string;
}

/** Maps any thrown value to a status and a `{error, error_type}` body. */
export function mapError(e: unknown): MappedError {
  const err = (e ?? {}) as Partial<FastifyError> & { code?: unknown; name?: unknown; message?: unknown };
  const message = typeof err.message === 'string' && err.message ? err.message : 'request failed';
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code !== undefined && Object.hasOwn(ERROR_TABLE, code)) {
    const m = ERROR_TABLE[code];
    return { status: m.status, body: { error: message, error_type: m.type }, label: code };
  }
  // A DOM-style AbortError from outside the engine (e.g. a signal's reason).
  if (err.name === 'AbortError') return mapError({ code: 'ABORTED', message });
  // Fastify's own request errors: malformed JSON, empty JSON body, body over
  // the limit, unsupported media type. They carry a 4xx statusCode.
  const status = typeof err.statusCode === 'number' ? err.statusCode : 0;
  if (status === 413) return mapError({ code: 'PAYLOAD_TOO_LARGE', message });
  if (status >= 400 && status < 500) {
    return { status, body: { error: message, error_type: 'Validation' }, label: code ?? String(status) };
  }
  // Anything else is a bug or a backend failure; do not leak internals.
  return { status: 500, body: { error: 'internal server error', error_type: 'Backend' }, label: 'INTERNAL' };
}

/** Fastify error handler: every error leaves as `{error, error_type}`. */
export function sendError(e: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const m = mapError(e);
  if (m.status >= 500 && m.label === 'INTERNAL') request.log.error({ err: e }, 'unhandled error');
  if (m.status === 401) reply.header('www-authenticate', 'Bearer');
  // Shutting down: this connection will not be served again. Not ready yet:
  // keep the connection, and say when to come back.
  if (m.label === 'NOT_READY') reply.header('retry-after', '1');
  else if (m.status === 503) reply.header('connection', 'close');
  return reply.code(m.status).type('application/json; charset=utf-8').send(m.body);
}
