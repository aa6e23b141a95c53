// Every error code there is, with what it means and how a server answers it:
// the engine's codes (a CappyError's `code`) and the codes the HTTP server
// raises itself. One row per code, typed by the code union, so a code without
// a row does not compile. lib/server/errors.ts answers every route from this
// table; docs/server.md ("Errors") lists it, and
// test/standalone/error-table.test.ts checks that list against it.
//
// `teiKind` is always one of TEI's ErrorType values (router/src/lib.rs, TEI
// 1.9), so a TEI client that switches on `error_type` never meets a value it
// does not know. The status is what TEI answers to the same request where
// TEI has an answer.

/** The codes a CappyError carries (the engine's). */
export type CappyErrorCode =
  | 'MODEL_LOAD'
  | 'TOKENIZER'
  | 'INVALID_INPUT'
  | 'QUEUE_FULL'
  | 'ABORTED'
  | 'DISPOSED'
  | 'RUNTIME'
  | 'DEVICE_UNAVAILABLE'
  | 'SHARD'
  | 'REMOTE'
  | 'INTERNAL';

/** The codes the HTTP server raises itself (an HttpError), beside the engine's. */
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

export type ErrorCode = CappyErrorCode | ServerErrorCode;

/** TEI's ErrorType, exactly (TEI 1.9's OpenAPI document, components.schemas.ErrorType). */
export type TeiErrorKind = 'Unhealthy' | 'Backend' | 'Overloaded' | 'Validation' | 'Tokenizer' | 'Empty';

export interface ErrorKind {
  /** The HTTP status a server answers with. */
  readonly httpStatus: number;
  /** TEI's error kind for the `{error, error_type}` body. */
  readonly teiKind: TeiErrorKind;
  /** Who raises it: the engine (a CappyError) or the server (an HttpError). INTERNAL is both. */
  readonly raisedBy: 'engine' | 'server' | 'both';
  /** What the code means. */
  readonly meaning: string;
}

/** One row per code: what it means and how a server answers it. */
export const ERROR_TABLE = Object.freeze({
  // Raised by the engine.
  INVALID_INPUT: { httpStatus: 422, teiKind: 'Validation', raisedBy: 'engine', meaning: 'a caller passed something the API cannot take' },
  TOKENIZER: {
    httpStatus: 422,
    teiKind: 'Tokenizer',
    raisedBy: 'engine',
    meaning: 'tokenizer.json refused, or truncation cannot fit an input',
  },
  QUEUE_FULL: { httpStatus: 429, teiKind: 'Overloaded', raisedBy: 'engine', meaning: "the scorer's bounded queue is full; retry later" },
  // 499 is nginx's "client closed request": nobody reads it, but access logs
  // and metrics then tell cancellations apart from failures. TEI has no kind
  // for it; Validation (the request as sent will not be served) keeps the
  // body inside TEI's schema.
  ABORTED: {
    httpStatus: 499,
    teiKind: 'Validation',
    raisedBy: 'engine',
    meaning: "the call's AbortSignal fired (or its client went away)",
  },
  DISPOSED: { httpStatus: 503, teiKind: 'Unhealthy', raisedBy: 'engine', meaning: 'the scorer or tokenizer was disposed' },
  RUNTIME: { httpStatus: 424, teiKind: 'Backend', raisedBy: 'engine', meaning: 'ONNX Runtime failed while running a batch' },
  MODEL_LOAD: {
    httpStatus: 500,
    teiKind: 'Backend',
    raisedBy: 'engine',
    meaning: 'folder, ONNX file or ONNX Runtime missing, corrupt or incompatible',
  },
  DEVICE_UNAVAILABLE: {
    httpStatus: 500,
    teiKind: 'Backend',
    raisedBy: 'engine',
    meaning: 'the GPU provider, its libraries or its device are missing',
  },
  // Not raised while serving (sharded files, remote scoring); mapped for completeness.
  SHARD: {
    httpStatus: 500,
    teiKind: 'Backend',
    raisedBy: 'engine',
    meaning: 'sharded scoring cannot go on safely (mixed or malformed parts)',
  },
  // The failure was upstream's: a gateway's answer.
  REMOTE: { httpStatus: 502, teiKind: 'Backend', raisedBy: 'engine', meaning: 'remote scoring failed: endpoints unreachable or refusing' },
  // A bug or an unexpected failure; a server sends the details to its log, not the client.
  INTERNAL: { httpStatus: 500, teiKind: 'Backend', raisedBy: 'both', meaning: 'a bug or out of memory; the message says what' },
  // Raised by the server.
  // The body is not JSON at all (or is empty): axum's JSON extractor answers 400.
  BAD_REQUEST: { httpStatus: 400, teiKind: 'Validation', raisedBy: 'server', meaning: 'the body is not JSON, or is empty' },
  // JSON of the wrong shape (a wrong type, a missing field): axum's extractor answers 422.
  INVALID_REQUEST: {
    httpStatus: 422,
    teiKind: 'Validation',
    raisedBy: 'server',
    meaning: 'JSON of the wrong shape: a wrong type, a missing field, a bad value',
  },
  EMPTY: { httpStatus: 400, teiKind: 'Empty', raisedBy: 'server', meaning: 'nothing to score (empty texts, documents, pairs, inputs)' },
  PAYLOAD_TOO_LARGE: {
    httpStatus: 413,
    teiKind: 'Validation',
    raisedBy: 'server',
    meaning: 'more items than the request limit, or a body over the limit',
  },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, teiKind: 'Validation', raisedBy: 'server', meaning: 'a content type the route cannot read' },
  UNPROCESSABLE: {
    httpStatus: 422,
    teiKind: 'Validation',
    raisedBy: 'server',
    meaning: 'well-formed input the model cannot take as asked',
  },
  // TEI answers 401 and 404 with an empty body; ours carries a body whose
  // kind is TEI's nearest: the request as sent cannot be served.
  UNAUTHORIZED: { httpStatus: 401, teiKind: 'Validation', raisedBy: 'server', meaning: 'a missing or wrong API key' },
  NOT_FOUND: { httpStatus: 404, teiKind: 'Validation', raisedBy: 'server', meaning: 'no such route, or a model not served here' },
  DRAINING: { httpStatus: 503, teiKind: 'Unhealthy', raisedBy: 'server', meaning: 'the server is draining for shutdown' },
  // The model is loading or warming: come back soon (with Retry-After).
  NOT_READY: { httpStatus: 503, teiKind: 'Unhealthy', raisedBy: 'server', meaning: 'the model is loading or warming up' },
  // Boost routes (their body is OpenAI's error shape; the kind is kept for the table's sake).
  UPSTREAM_UNREACHABLE: { httpStatus: 502, teiKind: 'Backend', raisedBy: 'server', meaning: 'the boosted upstream cannot be reached' },
  UPSTREAM_TIMEOUT: { httpStatus: 504, teiKind: 'Backend', raisedBy: 'server', meaning: 'the boosted upstream did not answer in time' },
  UPSTREAM_BAD_RESPONSE: {
    httpStatus: 502,
    teiKind: 'Backend',
    raisedBy: 'server',
    meaning: 'the boosted upstream answered without candidates',
  },
} as const satisfies { readonly [K in ErrorCode]: ErrorKind });

/** Whether a value is a code of the table. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);
}
