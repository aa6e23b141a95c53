// The sessions of one Scorer behind one queue. With one session every call
// goes straight to it, as before pools existed. With several, each merged call
// from the micro-batcher is cut into contiguous chunks by an estimated token
// budget; chunks of every call wait in one FIFO queue, and whichever session
// is free takes the next. Scores are written back by index into the call's
// own array, so order is kept whatever session finishes first.
//
// Why chunks in TypeScript rather than one native call per session: each
// session's native planner still sorts and cuts its chunk into
// padding-aware batches, so the pool only balances work; the native core
// and its C ABI stay unchanged.
import { AbortError, DisposedError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeCancelToken, type NativeScoreStats } from '../native.js';
import type { LoadedSession } from './session-load.js';

/** What `info.pool` says about each session. */
export interface PoolSessionInfo {
  /** 'cpu', 'cuda:0', 'tensorrt:1'. */
  device: string;
  executionProvider: string;
  deviceId: number;
  intraOpThreads: number;
  tokenizerThreads: number;
}

/** What `stats().sessions` says about each session's share of the work. */
export interface PoolSessionStats {
  device: string;
  /** Native calls (chunks) this session ran. */
  calls: number;
  pairs: number;
  /** Time it spent in native calls, ms. */
  busyMs: number;
}

export interface PoolResult {
  scores: Float32Array;
  /** Summed over the call's chunks; `calls` is how many native calls it took. */
  stats: NativeScoreStats & { calls: number };
}

export interface DevicePoolOptions {
  /** The native batch budget, in padded tokens; a chunk holds a few batches. */
  maxBatchTokens: number;
  /** A pair's tokens never exceed this, whatever its text length. */
  maxLength: number;
}

/** Batches' worth of tokens in one chunk at most: enough for the planner to sort, small enough to balance. */
const BATCHES_PER_CHUNK = 4;

/**
 * Tokens a pair will probably take: about 4 characters a token for English
 * BPE, plus the special tokens, at most maxLength. Only balances the
 * sessions' shares; the native planner measures real tokens for its budget.
 */
export function estimateTokens(instruction: string, response: string, maxLength: number): number {
  return Math.min(maxLength, Math.ceil((instruction.length + response.length) / 4) + 4);
}

/**
 * Cuts [0, n) into contiguous chunks of about `target` estimated tokens each,
 * never empty, never more than one pair over the target.
 */
export function cutChunks(estimates: ArrayLike<number>, target: number): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < estimates.length; i++) {
    if (i > start && tokens + estimates[i] > target) {
      chunks.push([start, i]);
      start = i;
      tokens = 0;
    }
    tokens += estimates[i];
  }
  if (estimates.length > start) chunks.push([start, estimates.length]);
  return chunks;
}

interface Job {
  instructions: string[];
  responses: string[];
  scores: Float32Array;
  stats: PoolResult['stats'];
  pending: number;
  done: boolean;
  cancels: Set<NativeCancelToken>;
  resolve: (r: PoolResult) => void;
  reject: (e: unknown) => void;
}

interface Chunk {
  job: Job;
  start: number;
  end: number;
}

interface Slot {
  session: LoadedSession;
  busy: number;
  stats: PoolSessionStats;
}

export class DevicePool {
  readonly #slots: Slot[];
  readonly #opts: DevicePoolOptions;
  readonly #queue: Chunk[] = [];
  #closed = false;

  constructor(sessions: readonly LoadedSession[], options: DevicePoolOptions) {
    if (sessions.length === 0) throw new Error('a device pool needs at least one session');
    this.#slots = sessions.map((session) => ({ session, busy: 0, stats: { device: session.device, calls: 0, pairs: 0, busyMs: 0 } }));
    this.#opts = options;
  }

  get size(): number {
    return this.#slots.length;
  }

  describe(): PoolSessionInfo[] {
    return this.#slots.map(({ session: s }) => ({
      device: s.device,
      executionProvider: s.executionProvider,
      deviceId: s.deviceId,
      intraOpThreads: s.intraOpThreads,
      tokenizerThreads: s.tokenizerThreads,
    }));
  }

  sessionStats(): PoolSessionStats[] {
    return this.#slots.map((s) => ({ ...s.stats }));
  }

  /** Scores one merged call; `signal` cancels every chunk of it. */
  run(instructions: string[], responses: string[], signal: AbortSignal): Promise<PoolResult> {
    if (this.#closed) return Promise.reject(new DisposedError());
    if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const n = instructions.length;
    return new Promise<PoolResult>((resolve, reject) => {
      const job: Job = {
        instructions,
        responses,
        scores: new Float32Array(n),
        stats: { calls: 0, realTokens: 0, computedTokens: 0, batches: 0, tokenizeMs: 0, runMs: 0 },
        pending: 0,
        done: false,
        cancels: new Set(),
        resolve,
        reject,
      };
      if (n === 0) {
        resolve({ scores: job.scores, stats: job.stats });
        return;
      }
      const onAbort = () => this.#fail(job, new AbortError(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => signal.removeEventListener('abort', onAbort);
      job.resolve = (r) => (cleanup(), resolve(r));
      job.reject = (e) => (cleanup(), reject(e));

      const chunks = this.#cut(instructions, responses);
      job.pending = chunks.length;
      for (const [start, end] of chunks) this.#queue.push({ job, start, end });
      this.#pump();
    });
  }

  /** Pre-tokenized rows (Scorer.scoreIds) go to the least busy session, outside the chunk queue. */
  async runIds(ids: BigInt64Array, mask: BigInt64Array, rows: number, seqLen: number, typeIds?: BigInt64Array): Promise<Float32Array> {
    if (this.#closed) throw new DisposedError();
    const slot = this.#slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy += 1;
    try {
      return await slot.session.native.runIds(ids, mask, rows, seqLen, typeIds);
    } catch (e) {
      throw fromNative(e);
    } finally {
      slot.busy -= 1;
      this.#pump();
    }
  }

  /** Drops queued chunks and frees every session once its calls in flight end (the native close waits for them). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#queue.splice(0)) this.#fail(c.job, new DisposedError());
    for (const s of this.#slots) s.session.native.close();
  }

  #cut(instructions: string[], responses: string[]): [number, number][] {
    const n = instructions.length;
    // One session: the whole call, as a Scorer without a pool runs it.
    if (this.#slots.length === 1) return [[0, n]];
    const estimates = new Uint32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      estimates[i] = estimateTokens(instructions[i], responses[i], this.#opts.maxLength);
      total += estimates[i];
    }
    // An even share per session for a small call (every session works on it),
    // at most a few batches per chunk for a large one (the queue balances).
    const target = Math.min(Math.ceil(total / this.#slots.length), BATCHES_PER_CHUNK * this.#opts.maxBatchTokens);
    return cutChunks(estimates, Math.max(1, target));
  }

  /**
   * Hands queued chunks to free sessions. One session takes every call at
   * once (its micro-batcher already bounds them, and a second call tokenizes
   * while the first runs); pooled sessions take one chunk each, so none sits
   * with work queued behind a busy one while another is idle.
   */
  #pump(): void {
    const limit = this.#slots.length === 1 ? Infinity : 1;
    while (this.#queue.length > 0 && !this.#closed) {
      const slot = this.#slots.find((s) => s.busy < limit);
      if (!slot) return;
      const chunk = this.#queue.shift()!;
      if (chunk.job.done) continue;
      void this.#runChunk(slot, chunk);
    }
  }

  async #runChunk(slot: Slot, { job, start, end }: Chunk): Promise<void> {
    const whole = start === 0 && end === job.instructions.length;
    const firsts = whole ? job.instructions : job.instructions.slice(start, end);
    const seconds = whole ? job.responses : job.responses.slice(start, end);
    const cancel = new (loadAddon().CancelToken)();
    job.cancels.add(cancel);
    slot.busy += 1;
    const t0 = performance.now();
    try {
      const r = await slot.session.native.score(firsts, seconds, cancel);
      slot.stats.calls += 1;
      slot.stats.pairs += end - start;
      if (job.done) return;
      if (whole) job.scores = r.scores;
      else job.scores.set(r.scores, start);
      const st = job.stats;
      st.calls += 1;
      st.realTokens += r.stats.realTokens;
      st.computedTokens += r.stats.computedTokens;
      st.batches += r.stats.batches;
      st.tokenizeMs += r.stats.tokenizeMs;
      st.runMs += r.stats.runMs;
      if (--job.pending === 0) {
        job.done = true;
        job.resolve({ scores: job.scores, stats: job.stats });
      }
    } catch (e) {
      this.#fail(job, fromNative(e));
    } finally {
      job.cancels.delete(cancel);
      slot.stats.busyMs += performance.now() - t0;
      slot.busy -= 1;
      this.#pump();
    }
  }

  /** Settles a job once with an error: its queued chunks are dropped and its running ones cancelled. */
  #fail(job: Job, error: unknown): void {
    if (job.done) return;
    job.done = true;
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i].job === job) this.#queue.splice(i, 1);
    for (const c of job.cancels) c.cancel();
    job.reject(error);
  }
}
