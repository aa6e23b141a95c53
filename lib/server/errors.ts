// How every route answers a failure: the status and TEI `error_type` come
// from the one ERROR_TABLE in lib/errors (keyed by code, the engine's and the
// server's), so a given failure always answers the same way on every route.
// Engine errors carry a stable `code` (lib/errors); errors the server raises
// itself are HttpErrors with a server code; Fastify's own errors carry a
// statusCode and are given the server code that fits it. docs/server.md
// ("Errors") lists the table and where it departs from TEI.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_TABLE, isErrorCode, type ErrorCode, type ServerErrorCode, type TeiErrorKind } from '../errors/index.js';

export { ERROR_TABLE, type ErrorCode, type ServerErrorCode };

/** TEI's ErrorType, exactly: the `error_type` of every error body (lib/errors' TeiErrorKind). */
export type ErrorType = TeiErrorKind;

/** An error the server raises on purpose; its code is a server row of ERROR_TABLE. */
export class HttpError extends Error {
  readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
  }
}

/** TEI's ErrorResponse ({error, error_type}) plus the stable code that chose it. */
export interface ErrorBody {
  error: string;
  error_type: ErrorType;
  code: ErrorCode;
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** The code: the metrics label (`err`). */
  label: ErrorCode;
}

function mapped(code: ErrorCode, message: string): MappedError {
  const row = ERROR_TABLE[code];
  return { status: row.httpStatus, body: { error: message, error_type: row.teiKind, code }, label: code };
}

/** Fastify's own request errors (bad JSON, empty JSON body, body over the limit, media type) by their 4xx status. */
function fastifyCode(status: number): ServerErrorCode {
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'NOT_FOUND';
  return 'BAD_REQUEST';
}

/** Maps any thrown value to a status and a `{error, error_type, code}` body. */
export function mapError(e: unknown): MappedError {
  const err = (e ?? {}) as Partial<FastifyError> & { code?: unknown; name?: unknown; message?: unknown };
  const message = typeof err.message === 'string' && err.message ? err.message : 'request failed';
  if (isErrorCode(err.code)) return mapped(err.code, message);
  // A DOM-style AbortError from outside the engine (e.g. a signal's reason).
  if (err.name === 'AbortError') return mapped('ABORTED', message);
  const status = typeof err.statusCode === 'number' ? err.statusCode : 0;
  if (status >= 400 && status < 500) return mapped(fastifyCode(status), message);
  // Anything else is a bug or a backend failure; do not leak internals.
  return mapped('INTERNAL', 'internal server error');
}

/**
 * Headers every error of a status carries: 401 names the scheme; 503 while
 * not ready says when to come back and keeps the connection; 503 while
 * shutting down closes it; 429 says when to retry (`retryAfter`, seconds,
 * from the model's queue; 1 when there is no queue to go by).
 */
export function errorHeaders(reply: FastifyReply, m: MappedError, retryAfter?: number): void {
  if (m.status === 401) reply.header('www-authenticate', 'Bearer');
  if (m.label === 'NOT_READY') reply.header('retry-after', '1');
  else if (m.status === 503) reply.header('connection', 'close');
  if (m.status === 429) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter ?? 1))));
}

/** Fastify error handler: every error leaves as `{error, error_type, code}`. */
export function sendError(e: unknown, request: FastifyRequest, reply: FastifyReply, retryAfter?: number): FastifyReply {
  const m = mapError(e);
  if (m.label === 'INTERNAL') request.log.error({ err: e }, 'unhandled error');
  errorHeaders(reply, m, retryAfter);
  return reply.code(m.status).type('application/json; charset=utf-8').send(m.body);
}
