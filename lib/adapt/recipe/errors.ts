// The LLM behind `cappy adapt data --llm` failed. A RemoteError (code REMOTE),
// like the other failures of a server we call, with its own name so a caller
// can tell the LLM from a scoring endpoint.
import { RemoteError } from '../../errors/index.js';

export class LlmError extends RemoteError {
  /** The upstream's answer body when it answered (e.g. OpenAI's error object), for the message. */
  readonly body?: string;
  constructor(message: string, options: { cause?: unknown; endpoint: string; status?: number; body?: string }) {
    super(message, options);
    this.body = options.body;
  }
}
