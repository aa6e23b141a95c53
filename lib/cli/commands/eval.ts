// `cappy eval mc` (multiple-choice accuracy) and `cappy eval best-of-n`
// (Rouge-L of the scorer's pick against the first candidate). Both stream
// their pairs through scoreStream so the progress shown is real work done.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { bestOfN, parseBonRow } from '../../eval/best-of-n.js';
import { parseJsonl } from '../../eval/jsonl.js';
import { multipleChoiceAccuracy, parseMcRow } from '../../eval/multiple-choice.js';
import { Scorer } from '../../scorer/scorer.js';
import { addModelOptions, scorerOptionsOf, singleModelOf } from '../options.js';
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
    .description('multiple-choice accuracy: rows {group, instruction, response, label, dataset?}; argmax per group')
    .requiredOption('--data <file>', 'JSONL rows')
    .option('--json', 'print the result as JSON');
  addModelOptions(mc).action(async (opts: { data: string; json?: boolean }) => {
    const rows = parseJsonl(await readFile(opts.data, 'utf8'), parseMcRow, opts.data);
    const scorer = await Scorer.load(singleModelOf(mc), scorerOptionsOf(mc));
    try {
      const scores = await scoreWithProgress(scorer, rows.map((r) => [r.instruction, r.response] as const), 'eval mc');
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
    .description('best-of-N: rows {instruction, candidates[], references[]}; Rouge-L F of the argmax candidate vs the first')
    .requiredOption('--data <file>', 'JSONL rows')
    .option('--json', 'print the result as JSON (with the index picked per row)');
  addModelOptions(bon).action(async (opts: { data: string; json?: boolean }) => {
    const rows = parseJsonl(await readFile(opts.data, 'utf8'), parseBonRow, opts.data);
    const scorer = await Scorer.load(singleModelOf(bon), scorerOptionsOf(bon));
    try {
      const pairs = rows.flatMap((r) => r.candidates.map((c) => [r.instruction, c] as const));
      const scores = await scoreWithProgress(scorer, pairs, 'eval best-of-n');
      const result = bestOfN(rows, scores);
      const forged = forgedNote(scorer);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ model: scorer.info.model.dir, forged, metric: 'rougeL-f1', ...result }) + '\n');
        return;
      }
      if (forged) process.stdout.write(`model: ${forged} (its picks are arbitrary)\n`);
      process.stdout.write(`${rows.length} rows, ${result.candidates} candidates; Rouge-L F1 (x100), best reference per row\n`);
      process.stdout.write(`${'best-of-n (scorer argmax)'.padEnd(28)} ${pct(result.selected)}\n`);
      process.stdout.write(`${'first candidate (baseline)'.padEnd(28)} ${pct(result.baseline)}\n`);
      process.stdout.write(`${'gain'.padEnd(28)} ${(result.gain >= 0 ? '+' : '') + (100 * result.gain).toFixed(2)}\n`);
      process.stdout.write(`${'oracle (best by Rouge-L)'.padEnd(28)} ${pct(result.oracle)}\n`);
      process.stdout.write(`picks differ from the first candidate in ${result.changed}/${rows.length} rows\n`);
    } finally {
      await scorer.dispose();
    }
  });
}
