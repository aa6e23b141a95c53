// Prometheus metrics under TEI's names, so dashboards built for TEI read this
// server too, plus the engine's own padding and token counters. Each server
// has its own Registry: two servers in one process (or one mounted in a host
// app that has its own metrics) never collide on the global registry.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ScorerLike, ScorerStatsLike } from './types.js';
import type { Timings } from './timing.js';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LENGTH_BUCKETS = [8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536, 262144];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #count: Counter<'method'>;
  readonly #success: Counter<'method'>;
  readonly #failure: Counter<'method' | 'err'>;
  readonly #duration: Histogram<'method'>;
  readonly #tokenization: Histogram<'method'>;
  readonly #queue: Histogram<'method'>;
  readonly #inference: Histogram<'method'>;
  readonly #inputLength: Histogram<'method'>;

  constructor(scorer: ScorerLike) {
    const registers = [this.registry];
    this.#count = new Counter({ name: 'te_request_count', help: 'Scoring requests received', labelNames: ['method'], registers });
    this.#success = new Counter({ name: 'te_request_success', help: 'Scoring requests answered', labelNames: ['method'], registers });
    this.#failure = new Counter({
      name: 'te_request_failure',
      help: 'Scoring requests that failed, by error code',
      labelNames: ['method', 'err'],
      registers,
    });
    const hist = (name: string, help: string) =>
      new Histogram({ name, help, labelNames: ['method'], buckets: DURATION_BUCKETS, registers });
    this.#duration = hist('te_request_duration', 'Whole request time, seconds');
    this.#tokenization = hist('te_request_tokenization_duration', 'Tokenization time per request (estimated), seconds');
    this.#queue = hist('te_request_queue_duration', 'Time waiting for the runtime per request (estimated), seconds');
    this.#inference = hist('te_request_inference_duration', 'Inference time per request (estimated), seconds');
    this.#inputLength = new Histogram({
      name: 'te_request_input_length',
      help: 'Tokens per request after truncation (estimated from scorer totals)',
      labelNames: ['method'],
      buckets: LENGTH_BUCKETS,
      registers,
    });

    // Scorer-level values are read from stats() at scrape time, so the hot
    // path never pays for them. The batch gauges are averages over the
    // batches run since the previous scrape: the public API reports totals,
    // not each batch.
    // Start from zero so the totals count everything since the scorer loaded.
    let last: ScorerStatsLike = { ...scorer.stats(), calls: 0, pairs: 0, realTokens: 0, computedTokens: 0, batches: 0 };
    let lastSize = 0;
    let lastTokens = 0;
    const advance = () => {
      const now = scorer.stats();
      const batches = now.batches - last.batches;
      if (batches > 0) {
        lastSize = (now.pairs - last.pairs) / batches;
        lastTokens = (now.computedTokens - last.computedTokens) / batches;
      }
      const prev = last;
      last = now;
      return { now, prev };
    };
    let snapshot = { now: last, prev: last };
    new Gauge({
      name: 'te_queue_size',
      help: 'Pairs waiting in the scorer queue',
      registers,
      collect() {
        // First collector of a scrape: take one snapshot for all of them.
        snapshot = advance();
        this.set(snapshot.now.queuedPairs);
      },
    });
    new Gauge({
      name: 'te_batch_next_size',
      help: 'Mean pairs per batch over the batches run since the previous scrape',
      registers,
      collect() {
        this.set(lastSize);
      },
    });
    new Gauge({
      name: 'te_batch_next_tokens',
      help: 'Mean padded tokens per batch over the batches run since the previous scrape',
      registers,
      collect() {
        this.set(lastTokens);
      },
    });
    new Gauge({
      name: 'cappy_pad_fraction',
      help: 'Share of computed tokens that were padding, since load',
      registers,
      collect() {
        this.set(snapshot.now.padFraction);
      },
    });
    const total = (name: string, help: string, pick: (s: ScorerStatsLike) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const d = pick(snapshot.now) - pick(snapshot.prev);
          if (d > 0) this.inc(d);
        },
      });
    total('cappy_tokens_computed_total', 'Tokens computed, padding included', (s) => s.computedTokens);
    total('cappy_tokens_real_total', 'Tokens the pairs really have, after truncation', (s) => s.realTokens);
    total('cappy_pairs_scored_total', 'Pairs scored', (s) => s.pairs);
    total('cappy_batches_total', 'Batches run', (s) => s.batches);
  }

  received(method: string): void {
    this.#count.inc({ method });
  }

  succeeded(method: string, seconds: number, t?: Timings): void {
    this.#success.inc({ method });
    this.#duration.observe({ method }, seconds);
    if (t) {
      this.#tokenization.observe({ method }, t.tokenizationMs / 1000);
      this.#queue.observe({ method }, t.queueMs / 1000);
      this.#inference.observe({ method }, t.inferenceMs / 1000);
      this.#inputLength.observe({ method }, t.tokens);
    }
  }

  failed(method: string, err: string, seconds: number): void {
    this.#failure.inc({ method, err });
    this.#duration.observe({ method }, seconds);
  }
}
