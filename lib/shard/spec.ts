// Which shard this process scores. A shard is "i/N": of the input's rows
// (non-blank lines, numbered from 0 as `cappy score` numbers them), shard i
// takes those whose row number k has k mod N == i. One pass, no seeking, no
// need to know the row count in advance, and every shard gets N-th of the
// rows to within one. Kubernetes Indexed Jobs give the index in
// JOB_COMPLETION_INDEX; the count comes from CAPPY_SHARD_COUNT (--shard-count).
import { InvalidInputError } from '../errors/index.js';
import { parseShard, type Shard } from '../options/score.js';
import { MAX_INT32, parseInteger } from '../options/spec.js';

export { parseShard, type Shard };

/** The environment variable a Kubernetes Indexed Job sets in each pod. */
export const JOB_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/**
 * The shard to score, from (in this order) --shard i/N, or --shard-count N
 * (CAPPY_SHARD_COUNT) with the index from JOB_COMPLETION_INDEX. Undefined:
 * score everything. `warn` hears about a JOB_COMPLETION_INDEX that no count
 * goes with, which would make every pod of the Job score the whole input.
 */
export function resolveShard(
  given: { shard?: string; shardCount?: number },
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): Shard | undefined {
  const jobIndex = env[JOB_INDEX_ENV];
  if (given.shard !== undefined) {
    const s = parseShard(given.shard);
    if (given.shardCount !== undefined && given.shardCount !== s.count) {
      throw new InvalidInputError(`--shard ${given.shard} and --shard-count ${given.shardCount} disagree on the shard count`);
    }
    return s;
  }
  if (given.shardCount === undefined) {
    if (jobIndex !== undefined && jobIndex !== '') {
      warn(`${JOB_INDEX_ENV}=${jobIndex} is set but no shard count (--shard-count or CAPPY_SHARD_COUNT): scoring the whole input`);
    }
    return undefined;
  }
  if (jobIndex === undefined || jobIndex.trim() === '') {
    throw new InvalidInputError(
      `--shard-count ${given.shardCount} needs the shard index: pass --shard i/${given.shardCount} or set ${JOB_INDEX_ENV}`,
    );
  }
  const index = parseInteger(JOB_INDEX_ENV, jobIndex, 0, MAX_INT32);
  if (index >= given.shardCount) {
    throw new InvalidInputError(
      `${JOB_INDEX_ENV}=${index} must be below the shard count ${given.shardCount} (set the Job's completions to the shard count)`,
    );
  }
  return { index, count: given.shardCount };
}

/** Whether row k (0-based, over the whole input) belongs to the shard. */
export function inShard(shard: Shard | undefined, row: number): boolean {
  return shard === undefined || row % shard.count === shard.index;
}
