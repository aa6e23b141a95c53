// `cappy serve`: Cappy over HTTP (TEI, Cohere-style, OpenAI-style and native
// routes), one or several models. Every option comes from the tables in
// lib/options (each also a CAPPY_* variable).
//
// Order of events: listen first (so probes see /live 200 and /health 503),
// then load and warm each model in turn; /health turns 200 when every model
// is ready. SIGTERM/SIGINT drain: stop accepting, answer accepted requests
// (for at most --drain-timeout seconds; then they fail with 503), dispose the
// models, exit 0 (1 when the timeout cut requests off, 2 when a model failed).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import { CommanderError, type Command } from 'commander';
import { InvalidInputError } from '../../errors/index.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { SCORER_OPTIONS } from '../../options/scorer.js';
import { SERVE_OPTIONS, type ModelRef } from '../../options/serve.js';
import { resolveOptions } from '../../options/spec.js';
import { planSessions } from '../../scorer/devices.js';
import { resolveScorerOptions } from '../../scorer/options.js';
import { Scorer } from '../../scorer/scorer.js';
import { warmUp } from '../../scorer/warmup.js';
import { createServer, installShutdown, ModelSet } from '../../server/index.js';
import { folderName } from '../../server/models.js';
import { modelRefsOf } from '../options.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** A bare folder is named after itself; a bare hub id keeps the whole id; --model-id names a lone bare model. */
function namesOf(refs: ModelRef[], modelId: string | undefined): string[] {
  const bare = refs.filter((r) => r.name === undefined).length;
  if (modelId !== undefined && bare !== 1) {
    throw new InvalidInputError(`--model-id names a lone bare --model DIR, but ${bare} are given; name each model as name=DIR instead`);
  }
  return refs.map((r) => r.name ?? (modelId !== undefined && bare === 1 ? modelId : existsSync(r.dir) ? folderName(r.dir) : r.dir));
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The address the server is bound to, as a URL, and what it means. Fastify's
 * listen() answers one loopback URL even when bound to every interface, so
 * the socket itself is asked.
 */
export function boundAddress(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return String(address);
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return wildcard
    ? `${url} (every ${address.address === '::' ? '' : 'IPv4 '}interface; from this host: http://127.0.0.1:${address.port})`
    : url;
}

/**
 * Each native call holds one of the addon's runner threads while it runs
 * (native/node/job.cc: max(4, cores), process-wide). Past that, one model's
 * calls wait for threads another model's calls hold. A pool runs one native
 * call per session at once, whatever maxConcurrentCalls says.
 */
export function runnerWarning(models: number, sessions: number, maxConcurrentCalls: number, runners: number): string | undefined {
  const perModel = sessions > 1 ? sessions : maxConcurrentCalls;
  if (models * perModel <= runners) return undefined;
  const knob = sessions > 1 ? 'fewer --devices sessions' : '--max-concurrent-calls 1';
  return `warning: ${models} model(s) x ${perModel} native calls at once exceed the ${runners} native runner threads; a busy model can delay another's calls (use ${knob}, or fewer models per process)`;
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description(
      'serve Cappy over HTTP: TEI /rerank /predict /info /health, Cohere /v1/rerank, /score, /v1/models, /metrics; with --boost-upstream, best-of-N /v1/chat/completions and /v1/completions',
    );
  addOptions(cmd, SERVE_OPTIONS);
  addOptions(cmd, SCORER_OPTIONS);
  cmd.action(async () => {
    const say = (line: string) => process.stderr.write(`cappy serve: ${line}\n`);
    const opts = resolveOptions(SERVE_OPTIONS, readOptions(cmd, SERVE_OPTIONS));
    const scorerOptions = readOptions(cmd, SCORER_OPTIONS);
    const resolvedScorer = resolveScorerOptions(scorerOptions); // fails early on bad values
    const sessions = planSessions(resolvedScorer, scorerOptions).length;
    const refs = modelRefsOf(cmd);
    const names = namesOf(refs, opts.modelId);
    const models = new ModelSet(names, opts.defaultModel);
    if (!LOOPBACK.has(opts.host) && !opts.apiKey) {
      say(`warning: binding ${opts.host} without an API key; anyone who can reach it can use it`);
    }
    const crowded = runnerWarning(names.length, sessions, resolvedScorer.maxConcurrentCalls, Math.max(4, availableParallelism()));
    if (crowded) say(crowded);

    const { model: _m, host, port, log, drainTimeout, warmupLengths, warmupBatchSizes, ...serverOptions } = opts;
    const server = createServer(models, { ...serverOptions, logger: log });
    const scorers: Scorer[] = [];
    let loading: Promise<void> = Promise.resolve();
    let failure: unknown;
    const shutdown = installShutdown(server, {
      drainTimeoutMs: drainTimeout * 1000,
      afterDrain: async () => {
        await loading; // a model still loading is disposed once it is in
        await Promise.all(scorers.map((s) => s.dispose()));
      },
      // A model that failed to load starts the shutdown too: say that, not a signal nobody sent.
      onSignal: (s) =>
        say(
          failure !== undefined
            ? `shutting down: a model failed to load (no new requests; finishing accepted ones, at most ${drainTimeout} s)`
            : `${s}: draining (no new requests; finishing accepted ones, at most ${drainTimeout} s)`,
        ),
      onForce: (s) => {
        say(`${s} again: exiting without waiting`);
        process.exit(1);
      },
      onTimeout: (n) => say(`drain timeout (${drainTimeout} s) passed: ${n} request(s) still running were failed with 503`),
    });
    try {
      await server.listen({ host, port });
      say(`listening on ${boundAddress(server.server.address())}`);
      if (opts.boostUpstream !== undefined) {
        say(
          `boosting ${opts.boostUpstream}: POST /v1/chat/completions and /v1/completions pick the best of ${opts.boostN} candidates (scored by ${opts.boostModel ?? models.defaultName})`,
        );
      }
    } catch (e) {
      shutdown.remove();
      throw e;
    }

    loading = (async () => {
      for (const [i, ref] of refs.entries()) {
        if (server.cappy.draining) return;
        const name = names[i];
        try {
          const t0 = performance.now();
          const scorer = await Scorer.load(ref.dir, scorerOptions);
          scorers.push(scorer);
          models.warming(name, scorer);
          const label = scorer.info.model.forged ? ` (${scorer.info.model.description})` : '';
          say(
            `${name}: loaded ${ref.dir} in ${secs(performance.now() - t0)}${label}; graph ${scorer.info.model.dtypeChoice}, ${scorer.info.executionProvider}`,
          );
          if (warmupLengths.length > 0 && warmupBatchSizes.length > 0) {
            const t1 = performance.now();
            const shapes = await warmUp(scorer, { lengths: warmupLengths, batchSizes: warmupBatchSizes });
            const first = shapes[0];
            say(
              `${name}: warmed up ${shapes.length} shape(s) in ${secs(performance.now() - t1)} (first: ${first.batch} x ${first.tokens} tokens, ${first.ms.toFixed(0)} ms)`,
            );
          }
          models.ready(name);
        } catch (e) {
          models.failed(name, e as Error);
          failure = e;
          say(`${name}: failed to load: ${(e as Error).message}`);
          shutdown.begin('SIGTERM');
          return;
        }
      }
      say(`ready: ${names.join(', ')} (default ${models.defaultName})`);
    })();

    const signal = await shutdown.done;
    shutdown.remove();
    if (failure) throw failure; // exit 2 with the model's error
    if (shutdown.timedOut) {
      say(`stopped after ${signal}; the drain timeout cut requests off`);
      // Exit 1 by returning, not process.exit(): a native call the timeout
      // cancelled may still be inside ONNX Runtime on a runner thread, and
      // process.exit() would run ORT's static destructors under it (it then
      // died in "GetElementType is not implemented"). Returning lets the
      // event loop end once that call has reported back.
      throw new CommanderError(1, 'cappy.serve.drainTimeout', 'the drain timeout cut requests off');
    }
    say(`drained after ${signal}; bye`);
  });
}
