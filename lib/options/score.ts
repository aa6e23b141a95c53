// `cappy score` and `cappy merge`, declared once: each entry is a flag and a
// CAPPY_* variable (a Kubernetes Indexed Job sets CAPPY_SHARD_COUNT, CAPPY_INPUT
// and CAPPY_OUTPUT once for every pod; the pod's index comes from
// JOB_COMPLETION_INDEX, see lib/shard/spec.ts).
import { parseShard } from '../shard/spec.js';
import { integer, text } from './spec.js';

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
