// `cappy adapt data`: task rows in, the Cappy paper's labelled pairs out
// (gold 1.0, in-task negatives 0.0, candidates labelled by Rouge-L), ready
// for `cappy adapt --data`. Candidates come from the rows
// (--candidates-from-file), from an OpenAI-compatible LLM (--llm), or both.
// A summary goes to stderr; progress too, as a bar on a terminal.
import { Option, type Command } from 'commander';
import { makeAdaptData, type AdaptDataProgress, type AdaptDataResult } from '../../adapt/recipe/make-data.js';
import { ADAPT_DATA_OPTIONS } from '../../options/adapt-data.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { startProgress, type Progress } from '../progress.js';

/** The data step's progress on stderr (`cappy adapt data`, and `cappy adapt --tasks`): a bar for the LLM, a line per retry. */
export function dataStepReporter(prefix: string, tasks: string) {
  let bar: Progress | undefined;
  return {
    onProgress(p: AdaptDataProgress) {
      if (p.phase === 'read') process.stderr.write(`${prefix}: ${p.rows} task rows from ${tasks}\n`);
      if (p.phase === 'llm') {
        bar ??= startProgress('adapt data: llm', p.total, 'instructions');
        bar.update(p.done);
        if (p.retry)
          process.stderr.write(
            `${prefix}: LLM answered ${p.retry.status}; try ${p.retry.attempt + 1} in ${(p.retry.waitMs / 1000).toFixed(1)} s\n`,
          );
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** One line on what the data step wrote. */
export function dataStepSummary(stats: AdaptDataResult['stats'], out: string): string {
  const llm = stats.llm
    ? `; LLM: ${stats.llm.generated} answers asked in ${stats.llm.requests} requests, ${stats.llm.cached} from the cache`
    : '';
  return (
    `${stats.written} pairs to ${out} (${stats.distinct} distinct: ${stats.gold} gold, ${stats.negatives} negatives, ` +
    `${stats.samples} samples over ${stats.tasks} task(s)${stats.negativesSkipped ? `; ${stats.negativesSkipped} negative draws hit an existing pair` : ''}` +
    `${stats.samplesSkipped ? `; ${stats.samplesSkipped} candidates repeated a pair` : ''}${stats.emptyCandidates ? `; ${stats.emptyCandidates} empty candidates dropped` : ''})${llm}`
  );
}

/**
 * Adds `data` under `adapt` (the `cappy adapt` command). It also turns on
 * positional options for `adapt` and the commands above it (the root has no
 * options of its own), so that flags after `data` (--seed, --train-size, ...)
 * belong to `data` although `adapt` has flags of the same names: otherwise
 * commander hands every flag after the command names to `adapt` first.
 * `adapt` must not mark its own flags mandatory: commander checks a parent's
 * mandatory flags for its subcommands too.
 */
export function registerAdaptData(adapt: Command): Command {
  for (let c: Command | null = adapt; c; c = c.parent) c.enablePositionalOptions();
  const cmd = adapt
    .command('data')
    .description(
      "make labelled pairs the Cappy paper's way from task rows {task?, instruction, references[], candidates[]?}: " +
        'gold 1.0, in-task negatives 0.0, LLM or file candidates labelled by Rouge-L',
    );
  addOptions(cmd, ADAPT_DATA_OPTIONS);
  cmd.addOption(new Option('--no-stem', 'plain Rouge-L tokens for the labels (the same as --stem false)'));
  for (const required of ['--tasks', '--out']) cmd.options.find((o) => o.long === required)!.makeOptionMandatory();
  cmd.action(async () => {
    const given = readOptions(cmd, ADAPT_DATA_OPTIONS);
    if (!given.llm && !given.candidatesFromFile) {
      process.stderr.write('cappy adapt data: no candidates asked for (--llm or --candidates-from-file): only gold pairs and negatives\n');
    }
    const abort = new AbortController();
    const onSignal = () => abort.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const report = dataStepReporter('cappy adapt data', given.tasks!);
    try {
      const { stats } = await makeAdaptData({ ...given, signal: abort.signal, onProgress: report.onProgress });
      report.stop();
      process.stderr.write(`cappy adapt data: ${dataStepSummary(stats, given.out!)}\n`);
    } finally {
      report.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
  return cmd;
}
