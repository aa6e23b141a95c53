// The one typed error family. Every error the engine raises on purpose is a
// CappyError with a stable `code`; the server maps codes to HTTP status in one
// table, so codes never change meaning.
import { isNativeError, type NativeErrorCode } from '../native.js';

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
  | 'REMOTE';

export class CappyError extends Error {
  readonly code: CappyErrorCode;
  constructor(code: CappyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The model folder, ONNX file or ONNX Runtime library cannot be used. */
export class ModelLoadError extends CappyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_LOAD', message, options);
  }
}

/** tokenizer.json is invalid, or an input cannot be truncated as asked. */
export class TokenizerError extends CappyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKENIZER', message, options);
  }
}

/** A caller passed something the API cannot take (wrong type, empty, out of range). */
export class InvalidInputError extends CappyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
  }
}

/** The scorer's bounded queue is full; retry later. */
export class QueueFullError extends CappyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QUEUE_FULL', message, options);
  }
}

/**
 * The call's AbortSignal fired. `name` is 'AbortError', the name DOM and Node
 * use, so `err.name === 'AbortError'` checks written for fetch work here too.
 */
export class AbortError extends CappyError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
    this.name = 'AbortError';
  }
}

/** The scorer or tokenizer was disposed. */
export class DisposedError extends CappyError {
  constructor(message = 'The scorer has been disposed', options?: { cause?: unknown }) {
    super('DISPOSED', message, options);
  }
}

/** ONNX Runtime failed while running a batch. */
export class RuntimeError extends CappyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RUNTIME', message, options);
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
  constructor(device: string, message: string, options?: { cause?: unknown; missing?: readonly string[] }) {
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
  constructor(message: string, options?: { cause?: unknown }) {
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
  constructor(message: string, options?: { cause?: unknown; endpoint?: string; status?: number }) {
    super('REMOTE', message, options);
    this.endpoint = options?.endpoint;
    this.status = options?.status;
  }
}

const byNativeCode: Record<NativeErrorCode, (message: string, cause: unknown) => CappyError> = {
  INVALID_INPUT: (m, cause) => new InvalidInputError(m, { cause }),
  TOKENIZER: (m, cause) => new TokenizerError(m, { cause }),
  MODEL_LOAD: (m, cause) => new ModelLoadError(m, { cause }),
  RUNTIME: (m, cause) => new RuntimeError(m, { cause }),
  CANCELLED: (m, cause) => new AbortError(m, { cause }),
  DEVICE_UNAVAILABLE: (m, cause) => new DeviceUnavailableError('gpu', m, { cause }),
};

/** Maps an error thrown by the addon to the typed family; other errors pass through. */
export function fromNative(e: unknown): Error {
  if (isNativeError(e)) {
    const make = byNativeCode[e.cappyCode] ?? byNativeCode.RUNTIME;
    return make(e.message, e);
  }
  return e instanceof Error ? e : new Error(String(e));
}
