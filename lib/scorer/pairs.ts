// Normalizes what callers pass as pairs. Validation lives here, in
// TypeScript, so native code only ever sees two equal-length string arrays.
import { InvalidInputError } from '../errors/index.js';

/** An (instruction, response) pair: a tuple, or an object with named fields. */
export type Pair = readonly [instruction: string, response: string] | { instruction: string; response: string };

export interface SplitPairs {
  instructions: string[];
  responses: string[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

/** Splits pairs into parallel arrays, rejecting anything that is not two strings. */
export function splitPairs(pairs: unknown, what = 'pairs'): SplitPairs {
  if (!Array.isArray(pairs)) {
    throw new InvalidInputError(`${what} must be an array of [instruction, response] pairs, got ${describe(pairs)}`);
  }
  const instructions = new Array<string>(pairs.length);
  const responses = new Array<string>(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const p: unknown = pairs[i];
    let a: unknown;
    let b: unknown;
    if (Array.isArray(p)) {
      if (p.length !== 2) {
        throw new InvalidInputError(`${what}[${i}] must be [instruction, response], got ${describe(p)}`);
      }
      [a, b] = p;
    } else if (p !== null && typeof p === 'object') {
      a = (p as { instruction?: unknown }).instruction;
      b = (p as { response?: unknown }).response;
    } else {
      throw new InvalidInputError(`${what}[${i}] must be [instruction, response] or {instruction, response}, got ${describe(p)}`);
    }
    if (typeof a !== 'string') throw new InvalidInputError(`${what}[${i}]: instruction must be a string, got ${describe(a)}`);
    if (typeof b !== 'string') throw new InvalidInputError(`${what}[${i}]: response must be a string, got ${describe(b)}`);
    instructions[i] = a;
    responses[i] = b;
  }
  return { instructions, responses };
}
