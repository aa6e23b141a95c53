// Merges concurrent score calls into shared native calls. A server sees many
// small requests at once; one native call per request would pad and run each
// alone. Here requests wait while the runtime is busy (or up to maxWaitMs when
// it is idle) and leave together, in arrival order, as one call whose planner
// sorts them into padding-aware batches. A second call runs beside the first
// only when a full call (maxPairsPerCall) is waiting. The queue is bounded: past its limit a
// call fails fast with QueueFullError instead of growing memory without end.
import { AbortError, QueueFullError } from '../errors/index.js';

export interface MicroBatcherOptions {
  /** How long an idle batcher waits for company before dispatching. 0: at once. */
  maxWaitMs: number;
  /** A merged call stops taking requests at this many pairs. */
  maxPairsPerCall: number;
  /** Pairs waiting (not yet dispatched) beyond which calls are refused. */
  maxQueuedPairs: number;
  /** Native calls allowed at once; more merge while these run. */
  maxConcurrentCalls: number;
}

/** Runs one merged call. `signal` aborts it when every request in it has aborted. */
export type RunFn = (instructions: string[], responses: string[], signal: AbortSignal) => Promise<Float32Array>;

interface Request {
  instructions: string[];
  responses: string[];
  resolve: (scores: Float32Array) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  settled: boolean;
  enqueuedAt: number;
  onAbort?: () => void;
}

export class MicroBatcher {
  readonly #run: RunFn;
  readonly #opts: MicroBatcherOptions;
  #queue: Request[] = [];
  #queuedPairs = 0;
  #running = 0;
  #timer: NodeJS.Timeout | undefined;
  #queueMs = 0;

  constructor(run: RunFn, options: MicroBatcherOptions) {
    this.#run = run;
    this.#opts = options;
  }

  /** Pairs waiting to be dispatched. */
  get queuedPairs(): number {
    return this.#queuedPairs;
  }

  /** Total time requests spent waiting in the queue, in ms. */
  get queueMs(): number {
    return this.#queueMs;
  }

  /** Native calls running now. */
  get runningCalls(): number {
    return this.#running;
  }

  submit(instructions: string[], responses: string[], signal?: AbortSignal): Promise<Float32Array> {
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const n = instructions.length;
    // A single request larger than the bound is still accepted when the queue
    // is empty: refusing it forever would be worse than running it alone.
    if (this.#queuedPairs > 0 && this.#queuedPairs + n > this.#opts.maxQueuedPairs) {
      return Promise.reject(
        new QueueFullError(`scorer queue is full (${this.#queuedPairs} pairs waiting, limit ${this.#opts.maxQueuedPairs}); retry later`),
      );
    }
    return new Promise<Float32Array>((resolve, reject) => {
      const req: Request = { instructions, responses, resolve, reject, signal, settled: false, enqueuedAt: performance.now() };
      if (signal) {
        req.onAbort = () => this.#abort(req);
        signal.addEventListener('abort', req.onAbort, { once: true });
      }
      this.#queue.push(req);
      this.#queuedPairs += n;
      this.#schedule();
    });
  }

  #settle(req: Request): boolean {
    if (req.settled) return false;
    req.settled = true;
    if (req.signal && req.onAbort) req.signal.removeEventListener('abort', req.onAbort);
    return true;
  }

  #abort(req: Request): void {
    const i = this.#queue.indexOf(req);
    if (i >= 0) {
      // Not dispatched yet: drop it from the queue entirely.
      this.#queue.splice(i, 1);
      this.#queuedPairs -= req.instructions.length;
    }
    if (this.#settle(req)) req.reject(new AbortError(undefined, { cause: req.signal?.reason }));
  }

  #schedule(): void {
    if (this.#queue.length === 0 || this.#running >= this.#opts.maxConcurrentCalls) return;
    const enough = this.#queuedPairs >= this.#opts.maxPairsPerCall;
    if (this.#running > 0) {
      // Busy: requests gather while the call runs and leave together when it
      // ends. A second call starts at once only when a full call is waiting
      // (it then tokenizes while this one runs); a partial one would split
      // callers that arrive a few ms apart (HTTP requests do) into smaller
      // calls competing for the same cores.
      if (enough) {
        this.#clearTimer();
        this.#dispatch();
      }
      return;
    }
    // Idle: wait up to maxWaitMs for company (after a call ends, that is
    // when its callers come back with their next requests).
    if (this.#opts.maxWaitMs <= 0 || enough) {
      this.#clearTimer();
      this.#dispatch();
      return;
    }
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, this.#opts.maxWaitMs);
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #dispatch(): void {
    if (this.#queue.length === 0 || this.#running >= this.#opts.maxConcurrentCalls) return;
    const taken: Request[] = [];
    let pairs = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0];
      if (taken.length > 0 && pairs + next.instructions.length > this.#opts.maxPairsPerCall) break;
      this.#queue.shift();
      taken.push(next);
      pairs += next.instructions.length;
    }
    this.#queuedPairs -= pairs;
    const now = performance.now();
    for (const r of taken) this.#queueMs += now - r.enqueuedAt;

    const instructions = taken.length === 1 ? taken[0].instructions : taken.flatMap((r) => r.instructions);
    const responses = taken.length === 1 ? taken[0].responses : taken.flatMap((r) => r.responses);
    // The merged call is cancelled only when every request in it has aborted.
    const controller = new AbortController();
    const abortIfAllGone = () => {
      if (taken.every((r) => r.settled)) controller.abort();
    };
    for (const r of taken) r.signal?.addEventListener('abort', abortIfAllGone, { once: true });

    this.#running += 1;
    this.#run(instructions, responses, controller.signal)
      .then(
        (scores) => {
          let offset = 0;
          for (const r of taken) {
            const n = r.instructions.length;
            // slice, not subarray: each caller owns its own buffer.
            if (this.#settle(r)) r.resolve(taken.length === 1 ? scores : scores.slice(offset, offset + n));
            offset += n;
          }
        },
        (e: unknown) => {
          for (const r of taken) if (this.#settle(r)) r.reject(e);
        },
      )
      .finally(() => {
        for (const r of taken) r.signal?.removeEventListener('abort', abortIfAllGone);
        this.#running -= 1;
        this.#schedule();
      });
    // A second call starts now only if a full one is still waiting.
    this.#schedule();
  }
}
