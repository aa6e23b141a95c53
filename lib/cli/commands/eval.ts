// `cappy eval mc` (multiple-choice accuracy) and `cappy eval best-of-n`
// (Rouge-L of each model's pick, of the first candidate and of the oracle,
// on the same candidates: `--model base=DIR --model adapted=DIR2` measures
// what adaptation gained). Both stream
// their pairs through scoreStream so the progress shown is real work done.
import { Option, type Command } from 'commander';
import { bestOfN, parseBonRow, type BonResult } from '../../eval/best-of-n.js';
import { readJsonlFile } from '../../eval/jsonl.js';
import { multipleChoiceAccuracy, parseMcRow } from '../../eval/multiple-choice.js';
import { Scorer } from '../../scorer/scorer.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { EVAL_BEST_OF_N_OPTIONS, EVAL_MC_OPTIONS } from '../../options/eval.js';
import { resolveOptions } from '../../options/spec.js';
import { addModelOptions, modelRefsOf, scorerOptionsOf, singleModelOf } from '../options.js';
import { startProgress } from '../progress.js';

const CHUNK = 256;

/** Scores pairs in order with progress on stderr. */
async function scoreWithProgress(scorer: Scorer, pairs: (readonly [string, string])[], label: string): Promise<Float32Array> {
  const scores = new Float32Array(pairs.length);
  const progress = startProgress(label, pairs.length, 'pairs');
  try {
    for await (const { index, score } of scorer.scoreStream(pairs, { withIndex: true, chunkSize: CHUNK })) {
      scores[index] = score;
      if ((index + 1) % CHUNK === 0 || index + 1 === pairs.length) progress.update(index + 1);
    }
  } finally {
    progress.stop();
  }
  return scores;
}

function forgedNote(scorer: Scorer): string | undefined {
  return scorer.info.model.forged ? scorer.info.model.description : undefined;
}

const pct = (x: number) => `${(100 * x).toFixed(2).padStart(6)}`;

export function registerEval(program: Command): void {
  const evalCmd = program.command('eval').description('evaluate a model');
  const mc = evalCmd
    .command('mc')
    .description('multiple-choice accuracy: rows {group, instruction, response, label, dataset?}; argmax per group');
  addOptions(mc, EVAL_MC_OPTIONS, undefined, ['data']);
  addModelOptions(mc).action(async () => {
    const opts = resolveOptions(EVAL_MC_OPTIONS, readOptions(mc, EVAL_MC_OPTIONS), 'eval mc options');
    const data = opts.data as string; // mandatory: commander refuses the command without it
    const rows = await readJsonlFile(data, parseMcRow);
    const scorer = await Scorer.load(singleModelOf(mc), scorerOptionsOf(mc));
    try {
      const scores = await scoreWithProgress(
        scorer,
        rows.map((r) => [r.instruction, r.response] as const),
        'eval mc',
      );
      const result = multipleChoiceAccuracy(rows, scores);
      const forged = forgedNote(scorer);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ model: scorer.info.model.dir, forged, ...result }) + '\n');
        return;
      }
      if (forged) process.stdout.write(`model: ${forged} (accuracy of random weights is chance)\n`);
      for (const d of result.datasets) {
        process.stdout.write(`${d.dataset.padEnd(32)} ${pct(d.accuracy)}%  (${d.correct}/${d.groups} groups)\n`);
      }
      process.stdout.write(`${'average'.padEnd(32)} ${pct(result.average)}%  over ${result.datasets.length} dataset(s)\n`);
    } finally {
      await scorer.dispose();
    }
  });

  const bon = evalCmd
    .command('best-of-n')
    .description(
      "best-of-N: rows {instruction, candidates[], references[]}; Rouge-L F of each --model's argmax candidate, of the first candidate and of the oracle. " +
        'Repeat --model (e.g. --model base=DIR --model adapted=DIR2) to compare models on the same candidates',
    );
  addOptions(bon, EVAL_BEST_OF_N_OPTIONS, undefined, ['data']);
  addModelOptions(bon);
  bon.addOption(new Option('--no-stem', 'plain Rouge-L tokens (the same as --stem false)'));
  bon.action(async () => {
    const opts = resolveOptions(EVAL_BEST_OF_N_OPTIONS, readOptions(bon, EVAL_BEST_OF_N_OPTIONS), 'eval best-of-n options');
    const { stem } = opts;
    const data = opts.data as string; // mandatory: commander refuses the command without it
    const rows = await readJsonlFile(data, parseBonRow);
    const refs = modelRefsOf(bon);
    const pairs = rows.flatMap((r) => r.candidates.map((c) => [r.instruction, c] as const));
    // One model at a time, each on the same candidates.
    const results: { name: string; dir: string; forged?: string; result: BonResult }[] = [];
    for (const ref of refs) {
      const scorer = await Scorer.load(ref.dir, scorerOptionsOf(bon));
      try {
        const name = ref.name ?? ref.dir;
        const scores = await scoreWithProgress(scorer, pairs, refs.length > 1 ? `eval best-of-n (${name})` : 'eval best-of-n');
        results.push({ name, dir: scorer.info.model.dir, forged: forgedNote(scorer), result: bestOfN(rows, scores, { stem }) });
      } finally {
        await scorer.dispose();
      }
    }
    const first = results[0].result;
    if (opts.json) {
      const models = results.map((m) => ({
        name: m.name,
        model: m.dir,
        forged: m.forged,
        selected: m.result.selected,
        gain: m.result.gain,
        changed: m.result.changed,
        picks: m.result.picks,
      }));
      // One model: its fields at the top level too, as before several could be compared.
      const single = results.length === 1 ? { model: results[0].dir, forged: results[0].forged, ...first } : {};
      process.stdout.write(
        JSON.stringify({
          ...single,
          metric: 'rougeL-f1',
          stem,
          rows: first.rows,
          candidates: first.candidates,
          baseline: first.baseline,
          oracle: first.oracle,
          models,
        }) + '\n',
      );
      return;
    }
    for (const m of results)
      if (m.forged) process.stdout.write(`model${results.length > 1 ? ` ${m.name}` : ''}: ${m.forged} (its picks are arbitrary)\n`);
    process.stdout.write(
      `${rows.length} rows, ${first.candidates} candidates; Rouge-L F1 (x100, ${stem ? 'Porter-stemmed' : 'not stemmed'}), best reference per row\n`,
    );
    const signed = (x: number) => (x >= 0 ? '+' : '') + (100 * x).toFixed(2);
    process.stdout.write(`${'first candidate (baseline)'.padEnd(28)} ${pct(first.baseline)}\n`);
    if (results.length === 1) {
      process.stdout.write(`${'best-of-n (scorer argmax)'.padEnd(28)} ${pct(first.selected)}\n`);
      process.stdout.write(`${'gain'.padEnd(28)} ${signed(first.gain)}\n`);
    } else {
      for (const m of results)
        process.stdout.write(
          `${`best-of-n: ${m.name}`.padEnd(28)} ${pct(m.result.selected)}  (${signed(m.result.gain)} on the first candidate)\n`,
        );
    }
    process.stdout.write(`${'oracle (best by Rouge-L)'.padEnd(28)} ${pct(first.oracle)}\n`);
    for (const m of results)
      process.stdout.write(
        `picks${results.length > 1 ? ` of ${m.name}` : ''} differ from the first candidate in ${m.result.changed}/${rows.length} rows\n`,
      );
  });
}
