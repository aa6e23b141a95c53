// `cappy score` and `cappy merge`, declared once: each entry is a flag and a
// CAPPY_* variable (a Kubernetes Indexed Job sets CAPPY_SHARD_COUNT, CAPPY_INPUT
// and CAPPY_OUTPUT once for every pod; the pod's index comes from
// JOB_COMPLETION_INDEX, see lib/shard/spec.ts). A shard is "i/N": what it
// means is lib/shard's; its spelling is checked here.
import { InvalidInputError } from '../errors/index.js';
import { integer, MAX_INT32, parseInteger, text } from './spec.js';

export interface Shard {
  /** 0 ≤ index < count. */
  readonly index: number;
  readonly count: number;
}

/** Parses "i/N" (0-based i). */
export function parseShard(text: string, name = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InvalidInputError(`${name} must be INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 2/8; got '${text}'`);
  const count = parseInteger(`${name} count`, m[2], 1, MAX_INT32);
  const index = parseInteger(`${name} index`, m[1], 0, MAX_INT32);
  if (index >= count) throw new InvalidInputError(`${name}: index ${index} must be below the count ${count} (indices are 0-based)`);
  return { index, count };
}

export const SCORE_OPTIONS = {
  input: text({ placeholder: 'file', help: 'JSONL input', defaultText: 'stdin' }),
  /** With a shard: the part file is OUTPUT.part-IIIII-of-NNNNN next to it. */
  output: text({ placeholder: 'file', help: 'JSONL output (with a shard: the prefix of its part file)', defaultText: 'stdout' }),
  shard: text({
    placeholder: 'shard',
    help: 'i/N: score shard i of N (0-based), the rows whose row number mod N is i, into OUTPUT.part-i-of-N',
    validate: (v, name) => void parseShard(v, name),
  }),
  shardCount: integer({ help: 'shard count; the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)' }),
} as const;

export const MERGE_OPTIONS = {
  output: text({ placeholder: 'file', help: 'the merged JSONL; its parts are OUTPUT.part-*-of-N beside it' }),
  shardCount: integer({ help: 'the shard count to expect', defaultText: 'read from the part file names' }),
} as const;
