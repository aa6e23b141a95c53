// `cappy demo`: scores a few instruction/response pairs on the embedded
// default model and prints a table. It says plainly when the weights are
// random and how to run a real Cappy instead.
import type { Command } from 'commander';
import { ensureDefaultModel } from '../../forge/default-model.js';
import { addOptions } from '../../options/commander.js';
import { DEMO_OPTIONS } from '../../options/commands.js';
import { Scorer } from '../../scorer/scorer.js';
import { optionalModelOf } from '../options.js';

/** Multiple choice, Cappy's first use: score each candidate, take the argmax. */
export const DEMO_QUESTIONS: { instruction: string; candidates: string[] }[] = [
  {
    instruction: 'Which planet is known as the Red Planet?',
    candidates: ['Mars', 'Venus', 'Jupiter', 'The Moon'],
  },
  {
    instruction: 'Translate to French: "Good morning, how are you?"',
    candidates: ['Bonjour, comment allez-vous ?', 'Buenos días, ¿cómo estás?', 'Guten Morgen, wie geht es dir?'],
  },
  {
    instruction: 'Is the following review positive or negative? "The battery died after two days."',
    candidates: ['positive', 'negative'],
  },
];

function clip(s: string, width: number): string {
  return s.length <= width ? s.padEnd(width) : s.slice(0, width - 1) + '…';
}

export function registerDemo(program: Command): void {
  const cmd = program.command('demo').description('score a few instruction/response pairs on the embedded default model and print a table');
  addOptions(cmd, DEMO_OPTIONS);
  cmd.action(async () => {
    const log = (m: string) => process.stderr.write(m + '\n');
    const dir = optionalModelOf(cmd) ?? (await ensureDefaultModel({ onProgress: log })).dir;
    const scorer = await Scorer.load(dir);
    try {
      const out = process.stdout;
      const forged = scorer.info.model.forged;
      out.write(`model: ${scorer.info.model.description}\n`);
      out.write(`runtime: ONNX Runtime ${scorer.info.ort.version} (${scorer.info.executionProvider})\n`);
      if (forged) {
        out.write('NOTE: these are RANDOM weights made by `cappy forge`, not Cappy. The scores below exercise\n');
        out.write('      the engine end to end but mean nothing. To score with real Cappy, run\n');
        out.write('      `cappy pull btan2/cappy-large` (downloads and converts it; the demo then uses it),\n');
        out.write('      or `cappy demo --model DIR` on any converted model folder.\n');
      }
      out.write('\n');
      const pairs = DEMO_QUESTIONS.flatMap((q) => q.candidates.map((c) => [q.instruction, c] as const));
      const scores = await scorer.scoreBatch(pairs);
      let k = 0;
      out.write(`${'instruction'.padEnd(44)}  ${'response'.padEnd(32)}  ${'score'.padStart(9)}  choice\n`);
      out.write(`${'-'.repeat(44)}  ${'-'.repeat(32)}  ${'-'.repeat(9)}  ------\n`);
      for (const q of DEMO_QUESTIONS) {
        const mine = scores.subarray(k, k + q.candidates.length);
        let best = 0;
        for (let i = 1; i < mine.length; i++) if (mine[i] > mine[best]) best = i;
        q.candidates.forEach((c, i) => {
          const first = i === 0 ? q.instruction : '';
          out.write(`${clip(first, 44)}  ${clip(c, 32)}  ${mine[i].toFixed(5).padStart(9)}  ${i === best ? '  <=' : ''}\n`);
        });
        k += q.candidates.length;
      }
      const st = scorer.stats();
      out.write(
        `\n${pairs.length} pairs in ${st.batches} batch(es); ${st.realTokens} tokens, ` +
          `${(st.padFraction * 100).toFixed(1)}% padding; tokenize ${st.tokenizeMs.toFixed(1)} ms, run ${st.runMs.toFixed(1)} ms\n`,
      );
    } finally {
      await scorer.dispose();
    }
  });
}
