// The one pair parser: what the library, the CLI and the server accept as an
// (instruction, response) pair. Validation lives here, in TypeScript, so
// native code only ever sees two equal-length string arrays.
import { InvalidInputError } from '../errors/index.js';

/** An (instruction, response) pair: a tuple, or an object with named fields. */
export type Pair = readonly [instruction: string, response: string] | { instruction: string; response: string };

export interface SplitPairs {
  instructions: string[];
  responses: string[];
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

/**
 * Reads one pair, `[instruction, response]` or `{instruction, response}`
 * (other fields of the object are left alone). Throws an InvalidInputError
 * that starts with `where`.
 */
export function toPair(p: unknown, where: string): [string, string] {
  let a: unknown;
  let b: unknown;
  if (Array.isArray(p)) {
    if (p.length !== 2) throw new InvalidInputError(`${where} must be [instruction, response], got ${describeValue(p)}`);
    [a, b] = p;
  } else if (p !== null && typeof p === 'object') {
    a = (p as { instruction?: unknown }).instruction;
    b = (p as { response?: unknown }).response;
  } else {
    throw new InvalidInputError(`${where} must be [instruction, response] or {instruction, response}, got ${describeValue(p)}`);
  }
  if (typeof a !== 'string') throw new InvalidInputError(`${where}: instruction must be a string, got ${describeValue(a)}`);
  if (typeof b !== 'string') throw new InvalidInputError(`${where}: response must be a string, got ${describeValue(b)}`);
  return [a, b];
}

/** Splits pairs into parallel arrays, rejecting anything that is not two strings. */
export function splitPairs(pairs: unknown, what = 'pairs'): SplitPairs {
  if (!Array.isArray(pairs)) {
    throw new InvalidInputError(`${what} must be an array of [instruction, response] pairs, got ${describeValue(pairs)}`);
  }
  const instructions = new Array<string>(pairs.length);
  const responses = new Array<string>(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const [a, b] = toPair(pairs[i], `${what}[${i}]`);
    instructions[i] = a;
    responses[i] = b;
  }
  return { instructions, responses };
}
