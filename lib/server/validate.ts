// Request-body checks shared by the route families. Shape errors are 400 (the
// body is not what the route takes), size errors 413, and input the model
// cannot take as asked is 422. Messages name the field, so a client can fix
// the request without reading the server's code.
import { HttpError } from './errors.js';
import type { ScorerLike } from './types.js';

export type Body = Record<string, unknown>;

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** The body must be a JSON object. */
export function objectBody(body: unknown): Body {
  if (body === undefined || body === null || body === '') {
    throw new HttpError('BAD_REQUEST', 'empty request body: send a JSON object');
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError('BAD_REQUEST', `request body must be a JSON object, got ${describe(body)}`);
  }
  return body as Body;
}

export function requireString(body: Body, field: string): string {
  const v = body[field];
  if (typeof v !== 'string') throw new HttpError('BAD_REQUEST', `"${field}" must be a string, got ${describe(v)}`);
  return v;
}

export function optionalBool(body: Body, field: string, fallback: boolean): boolean {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new HttpError('BAD_REQUEST', `"${field}" must be a boolean, got ${describe(v)}`);
  return v;
}

export function optionalPositiveInt(body: Body, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new HttpError('BAD_REQUEST', `"${field}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A non-empty array no longer than the client batch limit. */
export function boundedArray(body: Body, field: string, max: number): unknown[] {
  const v = body[field];
  if (!Array.isArray(v)) throw new HttpError('BAD_REQUEST', `"${field}" must be an array, got ${describe(v)}`);
  if (v.length === 0) throw new HttpError('BAD_REQUEST', `"${field}" must not be empty`);
  checkCount(v.length, max, field);
  return v;
}

export function checkCount(n: number, max: number, what: string): void {
  if (n > max) {
    throw new HttpError(
      'PAYLOAD_TOO_LARGE',
      `"${what}" has ${n} items, more than max_client_batch_size ${max}; split the request`,
    );
  }
}

export function stringArray(items: unknown[], field: string): string[] {
  items.forEach((t, i) => {
    if (typeof t !== 'string') throw new HttpError('BAD_REQUEST', `"${field}[${i}]" must be a string, got ${describe(t)}`);
  });
  return items as string[];
}

/**
 * TEI's `truncation_direction`: only "Right" exists here, because Cappy's
 * reference tokenization cuts pairs with HF's longest_first from the right.
 */
export function checkTruncationDirection(body: Body): void {
  const v = body.truncation_direction;
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw new HttpError('BAD_REQUEST', `"truncation_direction" must be a string, got ${describe(v)}`);
  if (v.toLowerCase() !== 'right') {
    throw new HttpError('UNPROCESSABLE', `truncation_direction "${v}" is not supported; this server truncates from the right`);
  }
}

/**
 * With `truncate: false`, refuses pairs longer than the model's max length
 * instead of cutting them (TEI's 422). A pair encodes as <s> A </s></s> B </s>,
 * so its length is len(<s> A </s>) + len(<s> B </s>). Each distinct text is
 * encoded alone, in one native batch; that is exact even though the scorer's
 * tokenizer truncates, because a side cut at the limit already makes its pair
 * too long.
 */
export async function checkLengths(scorer: ScorerLike, firsts: readonly string[], seconds: readonly string[]): Promise<void> {
  const tok = scorer.tokenizer;
  if (!tok) {
    throw new HttpError('UNPROCESSABLE', 'truncate=false is not available: this scorer exposes no tokenizer to measure inputs');
  }
  const max = scorer.info.maxLength;
  const unique = [...new Set([...firsts, ...seconds])];
  const encoded = await tok.encodeBatch(unique);
  const lengths = new Map(unique.map((t, i) => [t, encoded[i].ids.length]));
  for (let i = 0; i < firsts.length; i++) {
    const n = (lengths.get(firsts[i]) ?? 0) + (lengths.get(seconds[i]) ?? 0);
    if (n > max) {
      throw new HttpError(
        'UNPROCESSABLE',
        `input ${i} has ${n} tokens, more than max_input_length ${max}; shorten it or send truncate=true`,
      );
    }
  }
}
