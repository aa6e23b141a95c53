// `cappy score`: JSONL pairs in, JSONL scores out, in input order. Reads in
// chunks so a file of any size streams through with bounded memory. It scores
// in process (--model) or on TEI-compatible servers (--endpoint), the whole
// input or one shard of it (--shard i/N, or JOB_COMPLETION_INDEX with
// CAPPY_SHARD_COUNT), then into a part file that `cappy merge` joins.
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InvalidInputError, ShardError } from '../../errors/index.js';
import { addOptions, readOptions, toOption } from '../../options/commander.js';
import { REMOTE_OPTIONS } from '../../options/remote.js';
import { SCORE_OPTIONS } from '../../options/score.js';
import { SCORER_OPTIONS } from '../../options/scorer.js';
import { SERVE_OPTIONS } from '../../options/serve.js';
import { RemoteScorer } from '../../remote/remote-scorer.js';
import { toPair } from '../../scorer/pairs.js';
import { Scorer } from '../../scorer/scorer.js';
import {
  describeInput,
  HashingStream,
  partPath,
  readTrailer,
  sameInput,
  tempPathFor,
  trailerLine,
  type InputIdentity,
} from '../../shard/part-file.js';
import { inShard, resolveShard, type Shard } from '../../shard/spec.js';
import { scorerOptionsOf, singleModelOf } from '../options.js';

const CHUNK = 256;

interface Row {
  pair: [string, string];
  id: unknown;
}

interface BatchScorer {
  scoreBatch(pairs: readonly (readonly [string, string])[]): Promise<Float32Array>;
  dispose(): Promise<void>;
  /** Remote only: how each endpoint fared. */
  readonly endpoints?: readonly { url: string; alive: boolean; scored: number; failures: number }[];
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

const isRow = (line: string) => line.trim() !== '';

/** Size, SHA-256 and row count of the input, read once without scoring (to check a finished part against it). */
async function identify(input: Readable): Promise<InputIdentity> {
  const hashing = input.pipe(new HashingStream());
  let rows = 0;
  for await (const line of createInterface({ input: hashing, crlfDelay: Infinity })) if (isRow(line)) rows += 1;
  return { bytes: hashing.bytes, sha256: hashing.digest(), rows };
}

/** The model in process, or the endpoints. */
async function openScorer(cmd: Command, endpoints: string[]): Promise<{ scorer: BatchScorer; chunk: number; inFlight: number }> {
  if (endpoints.length > 0) {
    if ((cmd.opts() as { model?: string[] }).model?.length)
      process.stderr.write('cappy score: --model is ignored: scoring on --endpoint\n');
    const { endpoint: _endpoints, ...remoteOptions } = readOptions(cmd, REMOTE_OPTIONS);
    const remote = await RemoteScorer.connect(endpoints, remoteOptions);
    const down = remote.endpoints.filter((e) => !e.alive).map((e) => e.url);
    if (down.length) process.stderr.write(`cappy score: not answering yet (will retry): ${down.join(', ')}\n`);
    // Two chunks in flight, each enough to fill every endpoint's slots, so no server idles between chunks.
    return { scorer: remote, chunk: Math.max(CHUNK, remote.preferredChunk), inFlight: 2 };
  }
  const options = scorerOptionsOf(cmd);
  const scorer = await Scorer.load(singleModelOf(cmd), options);
  if (options.dtype) process.stderr.write(`cappy score: graph: ${scorer.info.model.dtypeChoice}\n`);
  if (scorer.info.model.forged) process.stderr.write(`cappy score: model is ${scorer.info.model.description}\n`);
  return { scorer, chunk: CHUNK, inFlight: 1 };
}

export function registerScore(program: Command): void {
  const cmd = program
    .command('score')
    .description('score JSONL pairs ({"instruction","response"} or [a, b] per line) and write JSONL scores');
  addOptions(cmd, SCORE_OPTIONS);
  // --model is required unless --endpoint scores remotely (checked in singleModelOf).
  cmd.addOption(toOption('model', SERVE_OPTIONS.model));
  addOptions(cmd, SCORER_OPTIONS);
  addOptions(cmd, REMOTE_OPTIONS);
  cmd.action(async () => {
    const so = readOptions(cmd, SCORE_OPTIONS);
    const shard = resolveShard(so, process.env, (m) => process.stderr.write(`cappy score: ${m}\n`));
    if (shard && !so.output) throw new InvalidInputError('a shard needs --output: its part file is OUTPUT.part-i-of-N');
    const part = shard ? partPath(so.output!, shard) : undefined;
    const openInput = () => (so.input ? createReadStream(so.input) : process.stdin);

    if (part && existsSync(part)) {
      // Idempotent: a part under its final name is complete. Same input: nothing to do.
      const done = await readTrailer(part);
      const input = await identify(openInput());
      if (done.shard !== shard!.index || done.count !== shard!.count || !sameInput(done.input, input)) {
        throw new ShardError(
          `${part} exists but was made from another input (${describeInput(done.input)}; this input: ${describeInput(input)}); remove it to score again`,
        );
      }
      process.stderr.write(
        `cappy score: shard ${shard!.index}/${shard!.count} already complete (${part}, ${done.rows} rows); nothing to do\n`,
      );
      return;
    }

    const { scorer, chunk, inFlight } = await openScorer(cmd, readOptions(cmd, REMOTE_OPTIONS).endpoint ?? []);
    const target = part ?? so.output;
    // Written under a temporary name and renamed when complete: a failed run leaves no half file.
    const temp = target ? tempPathFor(target) : undefined;
    const output: Writable = target ? createWriteStream(temp ?? target) : process.stdout;
    const total = so.input ? statSync(so.input).size : 0;
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

    let scored = 0;
    let bytes = 0;
    // Chunks being scored, oldest first; written in that order, so output order is input order.
    const pending: Promise<string>[] = [];
    const drainOne = async () => {
      await write(output, await pending.shift()!);
      bar?.update(total ? bytes : scored, { pairs: scored });
    };
    let rows: { index: number; row: Row }[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      const taken = rows;
      rows = [];
      scored += taken.length;
      pending.push(
        scorer.scoreBatch(taken.map((r) => r.row.pair)).then((scores) => {
          let text = '';
          taken.forEach(({ index, row }, i) => {
            const rec: Record<string, unknown> = { index, score: scores[i] };
            if (row.id !== undefined) rec.id = row.id;
            text += JSON.stringify(rec) + '\n';
          });
          return text;
        }),
      );
      // Keep later chunks' rejections from going unhandled while an earlier one is awaited.
      pending[pending.length - 1].catch(() => {});
      while (pending.length >= inFlight) await drainOne();
    };
    let completed = false;
    try {
      const hashing = openInput().pipe(new HashingStream());
      let index = 0;
      let lineNo = 0;
      for await (const line of createInterface({ input: hashing, crlfDelay: Infinity })) {
        lineNo += 1;
        bytes += Buffer.byteLength(line) + 1;
        if (!isRow(line)) continue;
        if (inShard(shard, index)) rows.push({ index, row: parseLine(line, lineNo) });
        index += 1;
        if (rows.length >= chunk) await flush();
      }
      await flush();
      while (pending.length > 0) await drainOne();
      if (shard) {
        const input = { bytes: hashing.bytes, sha256: hashing.digest(), rows: index };
        await write(output, trailerLine({ version: 1, shard: shard.index, count: shard.count, rows: scored, input }));
      }
      completed = true;
    } finally {
      bar?.stop();
      await scorer.dispose();
      if (output !== process.stdout) {
        output.end();
        await once(output, 'finish');
      }
      if (temp) {
        if (completed) await rename(temp, target!);
        else await rm(temp, { force: true });
      }
    }
    if (scorer.endpoints) {
      const each = scorer.endpoints.map(
        (e) => `${e.url} ${e.scored} batches${e.failures ? `, ${e.failures} failures` : ''}${e.alive ? '' : ', down'}`,
      );
      process.stderr.write(`cappy score: endpoints: ${each.join('; ')}\n`);
    }
    if (shard) describeDone(shard, part!, scored);
  });
}

function describeDone(shard: Shard, part: string, rows: number): void {
  process.stderr.write(`cappy score: shard ${shard.index}/${shard.count} complete: ${rows} rows in ${part}\n`);
}
