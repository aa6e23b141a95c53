// `cappy serve`: Cappy over HTTP (TEI, Cohere-style and native routes). Binds
// to loopback unless told otherwise, and drains on SIGTERM/SIGINT: it stops
// accepting, answers every accepted request, disposes the scorer, exits 0.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InvalidInputError } from '../../errors/index.js';
import { Scorer } from '../../scorer/scorer.js';
import type { ScorerOptions } from '../../scorer/options.js';
import { createServer, installShutdown } from '../../server/index.js';

interface ServeOptions {
  model: string;
  host: string;
  port: number;
  apiKey?: string;
  modelId?: string;
  maxClientBatchSize: number;
  bodyLimit: number;
  maxQueuedPairs?: number;
  maxWaitMs?: number;
  maxBatchTokens?: number;
  maxConcurrentCalls?: number;
  log: boolean;
  dtype?: string;
}

function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve Cappy scores over HTTP: TEI /rerank /predict /info /health, Cohere /v1/rerank, /score, /metrics')
    .requiredOption('--model <dir>', 'model folder (config.json, tokenizer.json, onnx/model.onnx) or pulled hub id')
    .option('--host <host>', 'address to bind; loopback unless you mean to expose it', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', int(0, 65535), 8080)
    .addOption(new Option('--api-key <key>', 'require "Authorization: Bearer <key>" on every route but /health').env('CAPPY_API_KEY'))
    .option('--model-id <name>', 'model_id reported on /info (default: the folder name)')
    .option('--max-client-batch-size <n>', 'items one request may carry; more is a 413', int(1, 1 << 24), 1024)
    .option('--body-limit <bytes>', 'request body limit in bytes (one line for NDJSON streams)', int(1, 2 ** 31 - 1), 8 * 1024 * 1024)
    .option('--max-queued-pairs <n>', 'pairs allowed to wait in the scorer; beyond this requests get 429', int(1, 2 ** 31 - 1))
    .option('--max-wait-ms <ms>', 'how long an idle scorer waits to merge concurrent requests', nonNegative)
    .option('--max-batch-tokens <n>', 'padded tokens per native batch', int(1, 2 ** 31 - 1))
    .option('--max-concurrent-calls <n>', 'native scoring calls at once', int(1, 64))
    .option('--log', 'log each request (JSON lines on stdout)', false)
    .option('--dtype <dtype>', "graph to run: fp32 (default), int8, fp16, or auto (the best the folder has for the CPU)")
    .action(async (opts: ServeOptions) => {
      // An empty key (say, CAPPY_API_KEY= in a unit file) must not quietly mean "no auth".
      if (opts.apiKey === '') throw new InvalidInputError('the API key is empty; set a key or unset CAPPY_API_KEY');
      const scorerOptions: ScorerOptions = {
        maxQueuedPairs: opts.maxQueuedPairs,
        maxWaitMs: opts.maxWaitMs,
        maxBatchTokens: opts.maxBatchTokens,
        maxConcurrentCalls: opts.maxConcurrentCalls,
        dtype: opts.dtype as ScorerOptions['dtype'], // checked by Scorer.load
      };
      const scorer = await Scorer.load(opts.model, scorerOptions);
      const say = (line: string) => process.stderr.write(`cappy serve: ${line}\n`);
      if (scorer.info.model.forged) say(`model is ${scorer.info.model.description}`);
      if (opts.dtype) say(`graph: ${scorer.info.model.dtypeChoice}`);
      if (!LOOPBACK.has(opts.host) && !opts.apiKey) {
        say(`warning: binding ${opts.host} without an API key; anyone who can reach it can use it`);
      }
      const server = createServer(scorer, {
        apiKey: opts.apiKey,
        modelId: opts.modelId,
        maxClientBatchSize: opts.maxClientBatchSize,
        bodyLimit: opts.bodyLimit,
        logger: opts.log,
      });
      const shutdown = installShutdown(server, {
        afterDrain: () => scorer.dispose(),
        onSignal: (s) => say(`${s}: draining (no new requests; finishing accepted ones)`),
        onForce: (s) => {
          say(`${s} again: exiting without waiting`);
          process.exit(1);
        },
      });
      try {
        const address = await server.listen({ host: opts.host, port: opts.port });
        say(`listening on ${address}`);
      } catch (e) {
        shutdown.remove();
        await scorer.dispose();
        throw e;
      }
      const signal = await shutdown.done;
      shutdown.remove();
      say(`drained after ${signal}; bye`);
    });
}
