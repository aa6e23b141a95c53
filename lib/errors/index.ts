// The one typed error family. Every error the engine raises on purpose is a
// CappyError with a stable `code`, and, where the failure has a finer kind a
// caller may act on, a machine-readable `reason`: branch on those, never on
// message text. ERROR_TABLE (./table.ts) holds one row per code, the
// engine's and the server's (typed by the code union, so a code without a row
// does not compile), with the HTTP status and TEI error kind a server answers
// it with.
//
// The native codes and reasons are declared once, in the core
// (native/core/include/cappy/cappy_errors.h); the addon exports their names
// and test/model/errors.test.ts checks lib/native.ts's lists against them.
import { isNativeError, type NativeErrorCode, type NativeErrorReason } from '../native.js';
import type { CappyErrorCode } from './table.js';

export {
  ERROR_TABLE,
  isErrorCode,
  type CappyErrorCode,
  type ErrorCode,
  type ErrorKind,
  type ServerErrorCode,
  type TeiErrorKind,
} from './table.js';

/**
 * Finer reasons: the core's (cappy_errors.h: 'onnx_missing', 'ort_unavailable',
 * 'over_position_limit', ...) and those only the Node side raises.
 */
export type CappyErrorReason =
  | NativeErrorReason
  /** A hub id that was never pulled into the cache. */
  | 'not_pulled'
  /** The hub has no such repository, revision or file (HTTP 404). */
  | 'hub_not_found'
  /** The hub refused access (HTTP 401 or 403): gated or private, or a token without access. */
  | 'hub_access_denied'
  /** An options object holds a key no option table declares (a misspelling, most often). */
  | 'unknown_option';

export interface CappyErrorOptions {
  cause?: unknown;
  /** A machine-readable reason finer than the code. */
  reason?: CappyErrorReason;
}

export class CappyError extends Error {
  readonly code: CappyErrorCode;
  /** A finer, machine-readable reason, when the failure has one. */
  readonly reason?: CappyErrorReason;
  constructor(code: CappyErrorCode, message: string, options?: CappyErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.reason !== undefined) this.reason = options.reason;
    this.name = new.target.name;
  }
}

/** The model folder, ONNX file or ONNX Runtime library cannot be used. */
export class ModelLoadError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('MODEL_LOAD', message, options);
  }
}

/** tokenizer.json is invalid, or an input cannot be truncated as asked. */
export class TokenizerError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('TOKENIZER', message, options);
  }
}

/** A caller passed something the API cannot take (wrong type, empty, out of range). */
export class InvalidInputError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('INVALID_INPUT', message, options);
  }
}

/** The scorer's bounded queue is full; retry later. */
export class QueueFullError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('QUEUE_FULL', message, options);
  }
}

/**
 * The call's AbortSignal fired. `name` is 'AbortError', the name DOM and Node
 * use, so `err.name === 'AbortError'` checks written for fetch work here too.
 */
export class AbortError extends CappyError {
  constructor(message = 'The operation was aborted', options?: CappyErrorOptions) {
    super('ABORTED', message, options);
    this.name = 'AbortError';
  }
}

/** The scorer or tokenizer was disposed. */
export class DisposedError extends CappyError {
  constructor(message = 'The scorer has been disposed', options?: CappyErrorOptions) {
    super('DISPOSED', message, options);
  }
}

/** ONNX Runtime failed while running a batch. */
export class RuntimeError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('RUNTIME', message, options);
  }
}

/** A bug or out of memory: the engine hit something it did not expect. The message says what. */
export class InternalError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('INTERNAL', message, options);
  }
}

/**
 * The asked-for device cannot be used: the CUDA execution provider package,
 * a CUDA or TensorRT library, the NVIDIA driver or the GPU itself is missing.
 * `missing` names each missing piece; the message says how to install it.
 */
export class DeviceUnavailableError extends CappyError {
  readonly device: string;
  readonly missing: readonly string[];
  constructor(device: string, message: string, options?: CappyErrorOptions & { missing?: readonly string[] }) {
    super('DEVICE_UNAVAILABLE', message, options);
    this.device = device;
    this.missing = Object.freeze([...(options?.missing ?? [])]);
  }
}

/**
 * Sharded scoring cannot go on safely: a part file from another input or
 * another shard count, a malformed part, parts of mixed runs.
 */
export class ShardError extends CappyError {
  constructor(message: string, options?: CappyErrorOptions) {
    super('SHARD', message, options);
  }
}

/** `cappy merge` found no complete part file for some shards; `missing` names each file it expected. */
export class MissingPartError extends ShardError {
  readonly missing: readonly string[];
  constructor(missing: readonly string[], message: string) {
    super(message);
    this.missing = Object.freeze([...missing]);
  }
}

/**
 * Remote scoring failed: every endpoint stayed unreachable (or kept refusing)
 * past the bound, or a server refused the request for good (a 4xx). `status`
 * is the last HTTP status seen (absent for connection errors).
 */
export class RemoteError extends CappyError {
  readonly endpoint?: string;
  readonly status?: number;
  constructor(message: string, options?: CappyErrorOptions & { endpoint?: string; status?: number }) {
    super('REMOTE', message, options);
    this.endpoint = options?.endpoint;
    this.status = options?.status;
  }
}

type FromNative = (message: string, options: CappyErrorOptions) => CappyError;

/** Every native code to its class (typed by the native code union: a new code without a row does not compile). */
const byNativeCode: { readonly [K in NativeErrorCode]: FromNative } = {
  INVALID_INPUT: (m, o) => new InvalidInputError(m, o),
  TOKENIZER: (m, o) => new TokenizerError(m, o),
  MODEL_LOAD: (m, o) => new ModelLoadError(m, o),
  RUNTIME: (m, o) => new RuntimeError(m, o),
  CANCELLED: (m, o) => new AbortError(m, o),
  DEVICE_UNAVAILABLE: (m, o) => new DeviceUnavailableError('gpu', m, o),
  // A C-ABI status the addon never raises; one would be a bug.
  BUFFER_TOO_SMALL: (m, o) => new InternalError(m, o),
  INTERNAL: (m, o) => new InternalError(m, o),
};

/** Maps an error thrown by the addon to the typed family; other errors pass through. */
export function fromNative(e: unknown): Error {
  if (isNativeError(e)) {
    const make = Object.hasOwn(byNativeCode, e.cappyCode) ? byNativeCode[e.cappyCode] : byNativeCode.INTERNAL;
    return make(e.message, e.cappyReason ? { cause: e, reason: e.cappyReason } : { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}
