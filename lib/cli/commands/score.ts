// `cappy score`: JSONL pairs in, JSONL scores out, in input order. Reads in
// chunks so a file of any size streams through with bounded memory.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InvalidInputError } from '../../errors/index.js';
import { toPair } from '../../scorer/pairs.js';
import { Scorer } from '../../scorer/scorer.js';
import { addModelOptions, scorerOptionsOf, singleModelOf } from '../options.js';

const CHUNK = 256;

interface Row {
  pair: [string, string];
  id: unknown;
}

/** Parses one JSONL line: {"instruction","response"[,"id"]} or ["instruction","response"]. */
export function parseLine(line: string, lineNo: number): Row {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new InvalidInputError(`line ${lineNo}: not valid JSON (${(e as Error).message})`);
  }
  const pair = toPair(v, `line ${lineNo}`);
  const id = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { id?: unknown }).id : undefined;
  return { pair, id };
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export function registerScore(program: Command): void {
  const cmd = program
    .command('score')
    .description('score JSONL pairs ({"instruction","response"} or [a, b] per line) and write JSONL scores')
    .option('--input <file>', 'JSONL input (default: stdin)')
    .option('--output <file>', 'JSONL output (default: stdout)');
  addModelOptions(cmd).action(async (opts: { input?: string; output?: string; dtype?: string }) => {
    const scorer = await Scorer.load(singleModelOf(cmd), scorerOptionsOf(cmd));
    if (opts.dtype) process.stderr.write(`cappy score: graph: ${scorer.info.model.dtypeChoice}\n`);
    const input = opts.input ? createReadStream(opts.input) : process.stdin;
    const output: Writable = opts.output ? createWriteStream(opts.output) : process.stdout;
    if (scorer.info.model.forged) {
      process.stderr.write(`cappy score: model is ${scorer.info.model.description}\n`);
    }
    const total = opts.input ? statSync(opts.input).size : 0;
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: total ? ' {bar} {percentage}% | {pairs} pairs' : ' {pairs} pairs scored',
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(total || 1, 0, { pairs: 0 });

    let index = 0;
    let lineNo = 0;
    let bytes = 0;
    let rows: Row[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      const scores = await scorer.scoreBatch(rows.map((r) => r.pair));
      let text = '';
      rows.forEach((r, i) => {
        const rec: Record<string, unknown> = { index: index + i, score: scores[i] };
        if (r.id !== undefined) rec.id = r.id;
        text += JSON.stringify(rec) + '\n';
      });
      index += rows.length;
      rows = [];
      await write(output, text);
      bar?.update(total ? bytes : index, { pairs: index });
    };
    try {
      const lines = createInterface({ input, crlfDelay: Infinity });
      for await (const line of lines) {
        lineNo += 1;
        bytes += Buffer.byteLength(line) + 1;
        if (line.trim() === '') continue;
        rows.push(parseLine(line, lineNo));
        if (rows.length >= CHUNK) await flush();
      }
      await flush();
    } finally {
      bar?.stop();
      await scorer.dispose();
      if (output !== process.stdout) {
        output.end();
        await once(output, 'finish');
      }
    }
  });
}
