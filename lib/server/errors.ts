// One table from error codes to HTTP status and TEI's `error_type`, so a
// given failure always answers the same way on every route. Engine errors
// carry a stable `code` (lib/errors); errors the server raises itself carry
// the server codes below; Fastify's own errors carry a statusCode and are
// given the server code that fits it. The table is keyed by code alone, so it
// can move into lib/errors unchanged.
//
// `type` is always one of TEI's ErrorType values (router/src/lib.rs, TEI 1.9):
// a TEI client that switches on error_type never meets a value it does not
// know. The status is what TEI answers to the same request where TEI has an
// answer; docs/server.md ("Errors") lists the table and where it departs.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { CappyErrorCode } from '../errors/index.js';

/** TEI's ErrorType, exactly (TEI 1.9's OpenAPI document, components.schemas.ErrorType). */
export type ErrorType = 'Unhealthy' | 'Backend' | 'Overloaded' | 'Validation' | 'Tokenizer' | 'Empty';

export type ServerErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_REQUEST'
  | 'EMPTY'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'DRAINING'
  | 'NOT_READY'
  | 'INTERNAL'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BAD_RESPONSE';

export type ErrorCode = ServerErrorCode | CappyErrorCode;

export interface ErrorMapping {
  status: number;
  type: ErrorType;
}

/**
 * Every code, engine and server, to its status and TEI error type. The type
 * annotation makes a code added to lib/errors without a row here a compile
 * error.
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = Object.freeze({
  // The body is not JSON at all (or is empty): axum's JSON extractor answers 400.
  BAD_REQUEST: { status: 400, type: 'Validation' },
  // JSON of the wrong shape (a wrong type, a missing field): axum's extractor answers 422.
  INVALID_REQUEST: { status: 422, type: 'Validation' },
  // Nothing to score (empty texts, documents, pairs, inputs): TEI's Empty, 400.
  EMPTY: { status: 400, type: 'Empty' },
  // More items than max_request_items, or a body over the limit: TEI's Validation, 413.
  PAYLOAD_TOO_LARGE: { status: 413, type: 'Validation' },
  // A content type the route cannot read (axum: 415).
  UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'Validation' },
  // Well-formed input the model cannot take as asked (truncate=false over the
  // limit, truncation_direction Left, a lone text where Cappy needs a pair).
  UNPROCESSABLE: { status: 422, type: 'Validation' },
  // TEI answers 401 and 404 with an empty body; ours carries a body whose
  // type is TEI's nearest kind: the request as sent cannot be served.
  UNAUTHORIZED: { status: 401, type: 'Validation' },
  NOT_FOUND: { status: 404, type: 'Validation' },
  DRAINING: { status: 503, type: 'Unhealthy' },
  // The model is loading or warming: come back soon (with Retry-After).
  NOT_READY: { status: 503, type: 'Unhealthy' },
  // A bug or an unexpected failure; details go to the log, not the client.
  INTERNAL: { status: 500, type: 'Backend' },
  // Boost routes (their body is OpenAI's error shape; the type is kept for the table's sake).
  UPSTREAM_UNREACHABLE: { status: 502, type: 'Backend' },
  UPSTREAM_TIMEOUT: { status: 504, type: 'Backend' },
  UPSTREAM_BAD_RESPONSE: { status: 502, type: 'Backend' },
  // Raised by the engine.
  INVALID_INPUT: { status: 422, type: 'Validation' },
  TOKENIZER: { status: 422, type: 'Tokenizer' },
  QUEUE_FULL: { status: 429, type: 'Overloaded' },
  // 499 is nginx's "client closed request": nobody reads it, but the access
  // log and the metrics then tell cancellations apart from failures.
  ABORTED: { status: 499, type: 'Validation' },
  DISPOSED: { status: 503, type: 'Unhealthy' },
  RUNTIME: { status: 424, type: 'Backend' },
  MODEL_LOAD: { status: 500, type: 'Backend' },
  DEVICE_UNAVAILABLE: { status: 500, type: 'Backend' },
  // Not raised while serving (sharded files, remote scoring), mapped for completeness.
  SHARD: { status: 500, type: 'Backend' },
  REMOTE: { status: 502, type: 'Backend' },
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

function isCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);
}

function mapped(code: ErrorCode, message: string): MappedError {
  const m = ERROR_TABLE[code];
  return { status: m.status, body: { error: message, error_type: m.type, code }, label: code };
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
  if (isCode(err.code)) return mapped(err.code, message);
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
