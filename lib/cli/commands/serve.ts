// `cappy serve`: Cappy over HTTP (TEI, Cohere-style and native routes). Every
// option comes from the tables in lib/options (each also a CAPPY_* variable).
// Binds to loopback unless told otherwise, and drains on SIGTERM/SIGINT: it
// stops accepting, answers every accepted request, disposes the scorer, exits 0.
import type { Command } from 'commander';
import { addOptions, readOptions } from '../../options/commander.js';
import { SCORER_OPTIONS } from '../../options/scorer.js';
import { SERVE_OPTIONS } from '../../options/serve.js';
import { resolveOptions } from '../../options/spec.js';
import { Scorer } from '../../scorer/scorer.js';
import { createServer, installShutdown } from '../../server/index.js';
import { singleModelOf } from '../options.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve Cappy scores over HTTP: TEI /rerank /predict /info /health, Cohere /v1/rerank, /score, /metrics');
  addOptions(cmd, SERVE_OPTIONS);
  addOptions(cmd, SCORER_OPTIONS);
  cmd.action(async () => {
    const opts = resolveOptions(SERVE_OPTIONS, readOptions(cmd, SERVE_OPTIONS));
    const dir = singleModelOf(cmd);
    const scorer = await Scorer.load(dir, readOptions(cmd, SCORER_OPTIONS));
    const say = (line: string) => process.stderr.write(`cappy serve: ${line}\n`);
    if (scorer.info.model.forged) say(`model is ${scorer.info.model.description}`);
    if (readOptions(cmd, SCORER_OPTIONS).dtype) say(`graph: ${scorer.info.model.dtypeChoice}`);
    if (!LOOPBACK.has(opts.host) && !opts.apiKey) {
      say(`warning: binding ${opts.host} without an API key; anyone who can reach it can use it`);
    }
    const { model: _model, host, port, log, ...serverOptions } = opts;
    const server = createServer(scorer, { ...serverOptions, logger: log });
    const shutdown = installShutdown(server, {
      afterDrain: () => scorer.dispose(),
      onSignal: (s) => say(`${s}: draining (no new requests; finishing accepted ones)`),
      onForce: (s) => {
        say(`${s} again: exiting without waiting`);
        process.exit(1);
      },
    });
    try {
      const address = await server.listen({ host, port });
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
