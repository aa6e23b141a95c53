// RemoteScorer: Scorer's scoreBatch over HTTP, on one or more TEI-compatible
// servers (`cappy serve` or TEI itself, POST /predict with raw_scores). Pairs
// are cut into batches that go to whichever endpoint has a free slot; a batch
// that fails for a passing reason (429, 502-504, a reset connection, a dead
// server) goes back to the head of the queue and is sent again, so no pair
// is lost, and each score is written once, at its pair's index, so none is
// duplicated or reordered. A dead endpoint is probed again later (GET /info)
// and rejoins; when every endpoint stays dead past `remoteGiveUp`, the
// waiting calls fail with RemoteError.
import { AbortError, DisposedError, InvalidInputError, RemoteError } from '../errors/index.js';
import { REMOTE_OPTIONS } from '../options/remote.js';
import { resolveOptions, type GivenOptions, type ResolvedOptions } from '../options/spec.js';
import { splitPairs, type Pair } from '../scorer/pairs.js';
import { Endpoint, type EndpointStatus } from './endpoint.js';

type Table = Omit<typeof REMOTE_OPTIONS, 'endpoint'>;
const { endpoint: endpointSpec, ...TABLE } = REMOTE_OPTIONS;

export type RemoteScorerOptions = GivenOptions<Table> & {
  /** TEI's `truncate` for every request; absent: the server's own handling of long pairs. */
  truncate?: boolean;
};

export interface RemoteCallOptions {
  signal?: AbortSignal;
}

/** One scoreBatch call: its result, and how many pairs are still to come. */
interface Call {
  scores: Float32Array;
  remaining: number;
  settled: boolean;
  resolve(v: Float32Array): void;
  reject(e: unknown): void;
  /** Aborts this call's requests in flight. */
  controller: AbortController;
}

/** A slice of a call's pairs: [start, start + pairs.length). */
interface Job {
  call: Call;
  start: number;
  pairs: [string, string][];
  attempts: number;
}

const PROBE_TIMEOUT_MS = 5_000;

export class RemoteScorer {
  readonly #endpoints: Endpoint[];
  readonly #opts: ResolvedOptions<Table>;
  readonly #truncate: boolean | undefined;
  #queue: Job[] = [];
  #wake: NodeJS.Timeout | undefined;
  /** Since when no endpoint has been alive while work waited. */
  #allDeadSince: number | undefined;
  #disposed = false;

  private constructor(urls: string[], opts: ResolvedOptions<Table>, truncate: boolean | undefined) {
    this.#opts = opts;
    this.#truncate = truncate;
    this.#endpoints = urls.map((u) => new Endpoint(u, opts.endpointConcurrency, opts.remoteApiKey));
  }

  /**
   * Reads every endpoint's /info (its limits). An endpoint that does not
   * answer starts dead and is probed again while there is work; only bad
   * arguments throw here.
   */
  static async connect(endpoints: readonly string[], options: RemoteScorerOptions = {}): Promise<RemoteScorer> {
    const urls = endpointSpec.check(endpoints, 'endpoints');
    if (urls.length === 0) throw new InvalidInputError('endpoints must name at least one server');
    const { truncate, ...rest } = options;
    if (truncate !== undefined && typeof truncate !== 'boolean') throw new InvalidInputError('truncate must be a boolean');
    const s = new RemoteScorer(
      urls,
      resolveOptions(TABLE, rest, 'RemoteScorer.connect options', { strict: true, alsoKnown: ['truncate'] }),
      truncate,
    );
    await Promise.all(s.#endpoints.map((e) => e.probe(PROBE_TIMEOUT_MS)));
    return s;
  }

  /** Each endpoint's state, limits and counters. */
  get endpoints(): EndpointStatus[] {
    return this.#endpoints.map((e) => e.status());
  }

  /** Requests that keep every endpoint busy: slots times batch size, for callers that feed it in chunks. */
  get preferredChunk(): number {
    const slots = this.#endpoints.reduce((n, e) => n + e.slots, 0);
    return slots * this.#opts.remoteBatchSize;
  }

  async score(instruction: string, response: string, options: RemoteCallOptions = {}): Promise<number> {
    return (await this.scoreBatch([[instruction, response]], options))[0];
  }

  /** Scores many pairs remotely; the result is in input order, as Scorer.scoreBatch's. */
  scoreBatch(pairs: readonly Pair[], options: RemoteCallOptions = {}): Promise<Float32Array> {
    if (this.#disposed) return Promise.reject(new DisposedError('The remote scorer has been disposed'));
    let split;
    try {
      split = splitPairs(pairs);
    } catch (e) {
      return Promise.reject(e);
    }
    const n = split.instructions.length;
    if (n === 0) return Promise.resolve(new Float32Array(0));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<Float32Array>((resolve, reject) => {
      const call: Call = { scores: new Float32Array(n), remaining: n, settled: false, resolve, reject, controller: new AbortController() };
      const onAbort = () => this.#fail(call, new AbortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      call.resolve = (v) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const size = this.#opts.remoteBatchSize;
      for (let start = 0; start < n; start += size) {
        const pairsOf: [string, string][] = [];
        for (let i = start; i < Math.min(n, start + size); i++) pairsOf.push([split.instructions[i], split.responses[i]]);
        this.#queue.push({ call, start, pairs: pairsOf, attempts: 0 });
      }
      this.#pump();
    });
  }

  /** Fails the waiting calls with DisposedError and stops sending. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    clearTimeout(this.#wake);
    for (const job of this.#queue) this.#fail(job.call, new DisposedError('The remote scorer has been disposed'));
    this.#queue = [];
  }

  #fail(call: Call, error: unknown): void {
    if (call.settled) return;
    call.settled = true;
    call.controller.abort();
    call.reject(error);
  }

  /** Sends what can be sent now; sets one timer for the earliest moment more can. */
  #pump(): void {
    if (this.#disposed) return;
    clearTimeout(this.#wake);
    this.#wake = undefined;
    this.#queue = this.#queue.filter((j) => !j.call.settled);
    if (this.#queue.length === 0) return;
    const now = Date.now();
    for (const e of this.#endpoints) {
      if (!e.alive && !e.probing && now >= e.retryAt) void e.probe(PROBE_TIMEOUT_MS).then(() => this.#pump());
    }
    if (this.#endpoints.some((e) => e.alive)) {
      this.#allDeadSince = undefined;
    } else {
      this.#allDeadSince ??= now;
      if (now - this.#allDeadSince >= this.#opts.remoteGiveUp * 1000) {
        const error = new RemoteError(
          `no endpoint answered for ${this.#opts.remoteGiveUp} s: ${this.#endpoints.map((e) => e.url).join(', ')}`,
        );
        for (const job of this.#queue) this.#fail(job.call, error);
        this.#queue = [];
        this.#allDeadSince = undefined;
        return;
      }
    }
    while (this.#queue.length > 0) {
      // The least loaded endpoint that can take a request now.
      let best: Endpoint | undefined;
      for (const e of this.#endpoints) {
        if (e.available(now) && (!best || e.inFlight / e.slots < best.inFlight / best.slots)) best = e;
      }
      if (!best) break;
      let job = this.#queue.shift()!;
      const limit = best.limits.maxClientBatchSize;
      if (limit !== undefined && job.pairs.length > limit) {
        // This server takes fewer items per request: send its share, keep the rest at the head.
        this.#queue.unshift({ ...job, start: job.start + limit, pairs: job.pairs.slice(limit) });
        job = { ...job, pairs: job.pairs.slice(0, limit) };
      }
      void this.#send(best, job);
    }
    if (this.#queue.length > 0) {
      // Wake when a backoff or a probe delay ends (a finishing request wakes us sooner).
      const waits = this.#endpoints.map((e) => Math.max(0, e.retryAt - now)).filter((w) => w > 0);
      const wait = Math.min(1_000, ...waits, this.#allDeadSince !== undefined ? this.#opts.remoteGiveUp * 1000 : Infinity);
      this.#wake = setTimeout(() => this.#pump(), Math.max(10, wait));
    }
  }

  async #send(e: Endpoint, job: Job): Promise<void> {
    e.inFlight += 1;
    const { call } = job;
    // The call's abort or this request's timeout, whichever comes first (by hand: AbortSignal.any needs Node 20.3).
    const request = new AbortController();
    const timer = setTimeout(() => request.abort(), this.#opts.remoteTimeout * 1000);
    const onCallAbort = () => request.abort();
    call.controller.signal.addEventListener('abort', onCallAbort, { once: true });
    const signal = request.signal;
    try {
      const out = await e.predict(job.pairs, signal, this.#truncate);
      if (call.settled) return;
      switch (out.kind) {
        case 'ok':
          e.scored += 1;
          call.scores.set(out.scores, job.start);
          call.remaining -= job.pairs.length;
          if (call.remaining === 0) {
            call.settled = true;
            call.resolve(call.scores);
          }
          return;
        case 'unreachable':
          // A reset, refused or timed-out connection: the server may be gone. Try the batch elsewhere.
          e.markDead();
          this.#queue.unshift(job);
          return;
        case 'retry':
          e.backOff(out.retryAfterMs);
          if (++job.attempts >= this.#opts.remoteMaxAttempts) {
            this.#fail(
              call,
              new RemoteError(`${e.url}/predict kept answering ${out.status} (${job.attempts} tries)`, {
                endpoint: e.url,
                status: out.status,
              }),
            );
          } else {
            this.#queue.unshift(job);
          }
          return;
        case 'too-large':
          if (job.pairs.length > 1) {
            const half = Math.ceil(job.pairs.length / 2);
            // Remember the smaller size, so the next batches fit at once.
            e.limits.maxClientBatchSize = Math.min(e.limits.maxClientBatchSize ?? Infinity, half);
            this.#queue.unshift(
              { ...job, pairs: job.pairs.slice(0, half) },
              { ...job, start: job.start + half, pairs: job.pairs.slice(half) },
            );
          } else {
            this.#fail(call, new RemoteError(`${e.url}/predict refused one pair as too large (413)`, { endpoint: e.url, status: 413 }));
          }
          return;
        case 'refused':
          this.#fail(
            call,
            new RemoteError(`${e.url}/predict answered ${out.status}: ${out.message}`, { endpoint: e.url, status: out.status }),
          );
          return;
      }
    } catch (err) {
      this.#fail(call, err);
    } finally {
      clearTimeout(timer);
      call.controller.signal.removeEventListener('abort', onCallAbort);
      e.inFlight -= 1;
      this.#pump();
    }
  }
}
