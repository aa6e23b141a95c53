// Candidates from an OpenAI-compatible LLM, the paper's decoding mix mapped as
// ./sampling.ts says. The boost upstream client (lib/boost/upstream.ts) asks
// for the answers: `n` where the server honours it, parallel requests where
// it does not, its timeout, and upstream failures normalized to
// UpstreamFailure (an unreachable server or a dropped connection is a 502, a
// timeout a 504). Around it, here:
//   - retries of 408, 425, 429 and 5xx (so also timeouts and dropped
//     connections) with jittered exponential backoff, or after the server's
//     Retry-After when the failure carries it (capped);
//   - the on-disk cache (./generation-cache.ts): an answer is asked once;
//   - a bound on instructions in flight, progress events, and an AbortSignal
//     that stops every request and every wait.
// A failure past the retries, or a refusal (400, 401, 404...), is an LlmError
// naming the server and what it said.
import { setTimeout as delay } from 'node:timers/promises';
import { Upstream, UpstreamFailure, type BoostMode } from '../../boost/upstream.js';
import { AbortError } from '../../errors/index.js';
import { LlmError } from './errors.js';
import { GenerationCache } from './generation-cache.js';
import { requestBody, samplingPlan, type RequestSettings } from './sampling.js';

export interface LlmCandidateOptions {
  /** Base URL, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  model: string;
  api: 'chat' | 'completions';
  samples: number;
  greedy: boolean;
  extras: boolean;
  maxTokens: number;
  mode: BoostMode;
  concurrency: number;
  timeoutMs: number;
  maxAttempts: number;
  apiKey?: string;
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: (p: LlmProgress) => void;
  /** For tests: how a retry waits. Default: a timer that the signal cancels. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** For tests: the jitter's source. Default Math.random. */
  random?: () => number;
}

export interface LlmProgress {
  /** Instructions finished, of `total`. */
  done: number;
  total: number;
  /** HTTP requests sent (every try counts), answers found in the cache, answers received. */
  requests: number;
  cached: number;
  generated: number;
  retries: number;
  /** Set on a retry event: the status that caused it and the wait. */
  retry?: { status: number; waitMs: number; attempt: number };
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
/** A Retry-After longer than this is not waited for in full. */
const RETRY_AFTER_CAP_MS = 300_000;

/** Retry-After as milliseconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait before try `attempt + 1`: Retry-After when given (capped), else 0.5 s doubling to 30 s, the upper half jittered. */
export function retryDelayMs(retryAfter: string | undefined, attempt: number, random: () => number = Math.random): number {
  const asked = parseRetryAfter(retryAfter);
  if (asked !== undefined) return Math.min(asked, RETRY_AFTER_CAP_MS);
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

function upstreamMessage(f: UpstreamFailure): string {
  try {
    const m = (JSON.parse(f.body) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return f.body.slice(0, 300);
}

function choiceText(choice: Record<string, unknown>, api: 'chat' | 'completions'): string {
  const v = api === 'chat' ? (choice.message as { content?: unknown } | undefined)?.content : choice.text;
  return typeof v === 'string' ? v : '';
}

const sleepFor = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).then(() => undefined);

/**
 * Every instruction's answers, in `instructions` order: the greedy one, then
 * each sampling setting's in the paper's order. Empty answers are returned
 * as '' (the pair builder counts and drops them).
 */
export async function llmCandidates(
  instructions: readonly string[],
  o: LlmCandidateOptions,
): Promise<{ candidates: string[][]; progress: LlmProgress }> {
  const upstream = new Upstream({ baseUrl: o.url, mode: o.mode, timeoutMs: o.timeoutMs });
  const cache = new GenerationCache(o.cacheDir);
  const plan = samplingPlan(o.samples, o.greedy);
  const settings: RequestSettings = { api: o.api, model: o.model, maxTokens: o.maxTokens, extras: o.extras };
  const path = o.api === 'chat' ? '/chat/completions' : '/completions';
  const headers: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {};
  const sleep = o.sleep ?? sleepFor;
  const random = o.random ?? Math.random;
  // Stops the other workers as soon as one fails; follows the caller's signal.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const progress: LlmProgress = { done: 0, total: instructions.length, requests: 0, cached: 0, generated: 0, retries: 0 };
  const report = (extra?: Partial<LlmProgress>) => o.onProgress?.({ ...progress, ...extra });

  const aborted = () => new AbortError('adapt data: the LLM requests were aborted', { cause: o.signal?.reason });

  /** One ask for `n` answers, retried; the texts of the choices received. */
  async function ask(body: Record<string, unknown>, n: number): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw o.signal?.aborted ? aborted() : (stop.signal.reason as Error);
      try {
        const got = await upstream.gather(path, body, n, headers, signal);
        progress.requests += got.requests;
        return got.choices.map((c) => choiceText(c, o.api));
      } catch (e) {
        progress.requests += 1;
        if (signal.aborted) throw o.signal?.aborted ? aborted() : (stop.signal.reason as Error);
        if (!(e instanceof UpstreamFailure)) throw e;
        const said = upstreamMessage(e);
        if (!RETRYABLE.has(e.status)) {
          const hint = e.status === 400 && o.extras ? ' (--llm-extras sends top_k and min_tokens, which some servers refuse)' : '';
          throw new LlmError(`the LLM at ${o.url} refused the request with ${e.status}: ${said}${hint}`, {
            endpoint: o.url,
            status: e.status,
            body: e.body,
            cause: e,
          });
        }
        if (attempt >= o.maxAttempts) {
          throw new LlmError(`the LLM at ${o.url} failed ${attempt} times; last: ${e.status} ${said}`, {
            endpoint: o.url,
            status: e.status,
            body: e.body,
            cause: e,
          });
        }
        // The boost client passes the upstream's Retry-After on once it carries one (see the header).
        const waitMs = retryDelayMs((e as UpstreamFailure & { retryAfter?: string }).retryAfter, attempt, random);
        progress.retries += 1;
        report({ retry: { status: e.status, waitMs, attempt } });
        try {
          await sleep(waitMs, signal);
        } catch {
          throw o.signal?.aborted ? aborted() : (stop.signal.reason as Error);
        }
      }
    }
  }

  async function answersFor(instruction: string): Promise<string[]> {
    const out: string[] = [];
    for (const { decoding, count } of plan) {
      const body = requestBody(instruction, decoding, settings);
      // The setting's name is part of the key: without --llm-extras "topk40" sends what "sampling" sends, yet its draws are its own.
      const keyed = { api: o.api, decoding: decoding.name, ...body };
      const keys = Array.from({ length: count }, (_, i) => GenerationCache.key(keyed, i));
      const texts = await Promise.all(keys.map(async (k) => (await cache.get(k))?.text));
      progress.cached += texts.filter((t) => t !== undefined).length;
      const missing = texts.flatMap((t, i) => (t === undefined ? [i] : []));
      while (missing.length > 0) {
        const got = await ask(body, missing.length);
        if (got.length === 0) throw new LlmError(`the LLM at ${o.url} answered without choices`, { endpoint: o.url });
        for (const text of got.slice(0, missing.length)) {
          const i = missing.shift()!;
          texts[i] = text;
          await cache.put(keys[i], { text }, keyed, i);
          progress.generated += 1;
        }
      }
      out.push(...(texts as string[]));
    }
    return out;
  }

  const candidates: string[][] = new Array<string[]>(instructions.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < instructions.length) {
      const i = next++;
      try {
        candidates[i] = await answersFor(instructions[i]);
      } catch (e) {
        if (failure === undefined) {
          failure = e;
          stop.abort(e);
        }
        return;
      }
      progress.done += 1;
      report();
    }
  };
  report();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, instructions.length)) }, worker));
  if (failure !== undefined) throw failure;
  return { candidates, progress };
}
