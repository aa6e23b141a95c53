// `cappy merge --output OUT`: joins OUT.part-*-of-N (from `cappy score
// --shard i/N`) into OUT, exactly what an unsharded run writes.
import type { Command } from 'commander';
import { InvalidInputError } from '../../errors/index.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { MERGE_OPTIONS } from '../../options/score.js';
import { mergeParts } from '../../shard/merge.js';

export function registerMerge(program: Command): void {
  const cmd = program
    .command('merge')
    .description('join the part files of a sharded `cappy score` (OUTPUT.part-i-of-N) into OUTPUT, in input order');
  addOptions(cmd, MERGE_OPTIONS);
  cmd.action(async () => {
    const o = readOptions(cmd, MERGE_OPTIONS);
    if (!o.output) throw new InvalidInputError('--output is required (or set CAPPY_OUTPUT)');
    const r = await mergeParts(o.output, { shardCount: o.shardCount });
    process.stderr.write(`cappy merge: ${r.rows} rows from ${r.count} parts into ${r.output}\n`);
  });
}
