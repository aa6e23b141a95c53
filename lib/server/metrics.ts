// Prometheus metrics under TEI's names, so dashboards built for TEI read this
// server too, plus the engine's own padding and token counters, every series
// labelled with its model. Each server
// has its own Registry: two servers in one process (or one mounted in a host
// app that has its own metrics) never collide on the global registry.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelSet } from './models.js';
import type { ScorerStatsLike } from './types.js';
import type { Timings } from './timing.js';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LENGTH_BUCKETS = [8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536, 262144];

type Labels = 'method' | 'model';

interface Snapshot {
  now: ScorerStatsLike;
  prev: ScorerStatsLike;
  meanSize: number;
  meanTokens: number;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #count: Counter<Labels>;
  readonly #success: Counter<Labels>;
  readonly #failure: Counter<Labels | 'err'>;
  readonly #duration: Histogram<Labels>;
  readonly #tokenization: Histogram<Labels>;
  readonly #queue: Histogram<Labels>;
  readonly #inference: Histogram<Labels>;
  readonly #inputLength: Histogram<Labels>;

  /**
   * Every series carries TEI's name and a `model` label. Scorer-level values
   * are read from each model's stats() at scrape time, so the hot path never
   * pays for them; a model that is still loading has none yet.
   */
  constructor(models: ModelSet) {
    const registers = [this.registry];
    const labelNames: Labels[] = ['method', 'model'];
    this.#count = new Counter({ name: 'te_request_count', help: 'Scoring requests received', labelNames, registers });
    this.#success = new Counter({ name: 'te_request_success', help: 'Scoring requests answered', labelNames, registers });
    this.#failure = new Counter({
      name: 'te_request_failure',
      help: 'Scoring requests that failed, by error code',
      labelNames: [...labelNames, 'err'],
      registers,
    });
    const hist = (name: string, help: string) => new Histogram({ name, help, labelNames, buckets: DURATION_BUCKETS, registers });
    this.#duration = hist('te_request_duration', 'Whole request time, seconds');
    this.#tokenization = hist('te_request_tokenization_duration', 'Tokenization time per request (estimated), seconds');
    this.#queue = hist('te_request_queue_duration', 'Time waiting for the runtime per request (estimated), seconds');
    this.#inference = hist('te_request_inference_duration', 'Inference time per request (estimated), seconds');
    this.#inputLength = new Histogram({
      name: 'te_request_input_length',
      help: 'Tokens per request after truncation (estimated from scorer totals)',
      labelNames,
      buckets: LENGTH_BUCKETS,
      registers,
    });

    // One snapshot per model per scrape, taken by the first collector. The
    // batch gauges are means over the batches run since the previous scrape:
    // the public API reports totals, not each batch. Totals start from zero,
    // so they count everything since the scorer loaded.
    const snaps = new Map<string, Snapshot>();
    const advance = () => {
      for (const m of models.all()) {
        if (!m.scorer) continue;
        const now = m.scorer.stats();
        const zero = { ...now, calls: 0, pairs: 0, realTokens: 0, computedTokens: 0, batches: 0 };
        const old = snaps.get(m.name);
        const last = old?.now ?? zero;
        const batches = now.batches - last.batches;
        snaps.set(m.name, {
          now,
          prev: last,
          meanSize: batches > 0 ? (now.pairs - last.pairs) / batches : (old?.meanSize ?? 0),
          meanTokens: batches > 0 ? (now.computedTokens - last.computedTokens) / batches : (old?.meanTokens ?? 0),
        });
      }
    };
    const gauge = (name: string, help: string, pick: (s: Snapshot) => number, first = false) =>
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          if (first) advance();
          for (const [model, snap] of snaps) this.set({ model }, pick(snap));
        },
      });
    gauge('te_queue_size', 'Pairs waiting in the scorer queue', (s) => s.now.queuedPairs, true);
    gauge('te_batch_next_size', 'Mean pairs per batch over the batches run since the previous scrape', (s) => s.meanSize);
    gauge('te_batch_next_tokens', 'Mean padded tokens per batch over the batches run since the previous scrape', (s) => s.meanTokens);
    gauge('cappy_pad_fraction', 'Share of computed tokens that were padding, since load', (s) => s.now.padFraction);
    const total = (name: string, help: string, pick: (s: ScorerStatsLike) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          for (const [model, snap] of snaps) {
            const d = pick(snap.now) - pick(snap.prev);
            if (d > 0) this.inc({ model }, d);
          }
        },
      });
    total('cappy_tokens_computed_total', 'Tokens computed, padding included', (s) => s.computedTokens);
    total('cappy_tokens_real_total', 'Tokens the pairs really have, after truncation', (s) => s.realTokens);
    total('cappy_pairs_scored_total', 'Pairs scored', (s) => s.pairs);
    total('cappy_batches_total', 'Batches run', (s) => s.batches);
    total('cappy_native_calls_total', 'Native scoring calls (requests merged by the micro-batcher count once)', (s) => s.calls);
  }

  received(method: string, model: string): void {
    this.#count.inc({ method, model });
  }

  succeeded(method: string, model: string, seconds: number, t?: Timings): void {
    const l = { method, model };
    this.#success.inc(l);
    this.#duration.observe(l, seconds);
    if (t) {
      this.#tokenization.observe(l, t.tokenizationMs / 1000);
      this.#queue.observe(l, t.queueMs / 1000);
      this.#inference.observe(l, t.inferenceMs / 1000);
      this.#inputLength.observe(l, t.tokens);
    }
  }

  failed(method: string, model: string, err: string, seconds: number): void {
    this.#failure.inc({ method, model, err });
    this.#duration.observe({ method, model }, seconds);
  }
}
