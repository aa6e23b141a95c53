// The checks every tokenizer.json reader shares: one error type and message
// prefix, and the small type guards, so spec.ts, template.ts and unigram.ts
// reject malformed files the same way.
import { TokenizerError } from '../errors/index.js';

export type Json = Record<string, unknown>;

export function fail(message: string): never {
  throw new TokenizerError(`tokenizer.json: ${message}`);
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A token id: a non-negative int32. */
export function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
}

/** An optional boolean field (absent or null: `dflt`). */
export function optBool(o: Json, key: string, where: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') fail(`${where}.${key} must be a boolean`);
  return v;
}
