// `cappy eval mc`: multiple-choice accuracy over a JSONL file of candidates.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../../errors/index.js';
import { multipleChoiceAccuracy, parseMcRow, type McRow } from '../../eval/multiple-choice.js';
import { Scorer } from '../../scorer/scorer.js';

export function registerEval(program: Command): void {
  const evalCmd = program.command('eval').description('evaluate a model');
  evalCmd
    .command('mc')
    .description('multiple-choice accuracy: rows {group, instruction, response, label, dataset?}; argmax per group')
    .requiredOption('--model <dir>', 'model folder or pulled hub id')
    .requiredOption('--data <file>', 'JSONL rows')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { model: string; data: string; json?: boolean }) => {
      const text = await readFile(opts.data, 'utf8');
      const rows: McRow[] = [];
      text.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (e) {
          throw new InvalidInputError(`line ${i + 1}: not valid JSON (${(e as Error).message})`);
        }
        rows.push(parseMcRow(v, `line ${i + 1}`));
      });
      if (rows.length === 0) throw new InvalidInputError(`${opts.data} has no rows`);
      const scorer = await Scorer.load(opts.model);
      try {
        const scores = await scorer.scoreBatch(rows.map((r) => [r.instruction, r.response] as const));
        const result = multipleChoiceAccuracy(rows, scores);
        const forged = scorer.info.model.forged ? scorer.info.model.description : undefined;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ model: scorer.info.model.dir, forged, ...result }) + '\n');
          return;
        }
        if (forged) process.stdout.write(`model: ${forged} (accuracy of random weights is chance)\n`);
        for (const d of result.datasets) {
          process.stdout.write(`${d.dataset.padEnd(32)} ${(100 * d.accuracy).toFixed(2).padStart(6)}%  (${d.correct}/${d.groups} groups)\n`);
        }
        process.stdout.write(`${'average'.padEnd(32)} ${(100 * result.average).toFixed(2).padStart(6)}%  over ${result.datasets.length} dataset(s)\n`);
      } finally {
        await scorer.dispose();
      }
    });
}
