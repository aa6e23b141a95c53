// One TEI-compatible server as the remote scorer sees it: its limits (read
// from GET /info), its health (alive, or dead until a probe may try again),
// its backoff after a 429/503, and the HTTP calls themselves.
import { RemoteError } from '../errors/index.js';

/** What a TEI /info (ours or TEI's own) says that a client must respect. */
export interface EndpointLimits {
  /** Items one request may carry (TEI refuses more with 413; `cappy serve` splits them). */
  maxClientBatchSize?: number;
  /** Requests the server takes at once. */
  maxConcurrentRequests?: number;
}

export interface EndpointStatus {
  url: string;
  alive: boolean;
  inFlight: number;
  /** Requests in flight allowed: the option, lowered to the server's limit. */
  slots: number;
  limits: EndpointLimits;
  /** Batches it scored, and failures (connection errors and retryable statuses) it caused. */
  scored: number;
  failures: number;
}

/** The outcome of one POST /predict. */
export type PredictOutcome =
  | { kind: 'ok'; scores: number[] }
  | { kind: 'retry'; status: number; retryAfterMs?: number }
  | { kind: 'too-large'; status: number }
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'unreachable'; error: unknown };

const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_PROBE_DELAY_MS = 5_000;
const FIRST_PROBE_DELAY_MS = 200;

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const t = value.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class Endpoint {
  readonly url: string;
  limits: EndpointLimits = {};
  alive = false;
  /** When a dead endpoint may be probed again, or a refusing one tried again. */
  retryAt = 0;
  inFlight = 0;
  scored = 0;
  failures = 0;
  probing = false;
  #probeDelay = FIRST_PROBE_DELAY_MS;
  /** Consecutive retryable refusals, for the exponential backoff. */
  #refusals = 0;
  readonly #concurrency: number;
  readonly #headers: Record<string, string>;

  constructor(url: string, concurrency: number, apiKey: string | undefined) {
    this.url = url.replace(/\/+$/, '');
    this.#concurrency = concurrency;
    this.#headers = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  }

  get slots(): number {
    return Math.max(1, Math.min(this.#concurrency, this.limits.maxConcurrentRequests ?? Infinity));
  }

  /** Ready for another request now. */
  available(now: number): boolean {
    return this.alive && now >= this.retryAt && this.inFlight < this.slots;
  }

  status(): EndpointStatus {
    return {
      url: this.url,
      alive: this.alive,
      inFlight: this.inFlight,
      slots: this.slots,
      limits: { ...this.limits },
      scored: this.scored,
      failures: this.failures,
    };
  }

  /** GET /info: alive with fresh limits, or dead until the next probe (sooner at first, then up to 5 s apart). */
  async probe(timeoutMs: number): Promise<boolean> {
    this.probing = true;
    try {
      const r = await fetch(this.url + '/info', { headers: this.#headers, signal: AbortSignal.timeout(timeoutMs) });
      if (!r.ok) throw new Error(`GET /info answered ${r.status}`);
      const info = (await r.json()) as Record<string, unknown>;
      this.limits = {
        maxClientBatchSize: positiveInt(info.max_client_batch_size),
        maxConcurrentRequests: positiveInt(info.max_concurrent_requests),
      };
      this.alive = true;
      this.retryAt = 0;
      this.#probeDelay = FIRST_PROBE_DELAY_MS;
      return true;
    } catch {
      this.markDead();
      return false;
    } finally {
      this.probing = false;
    }
  }

  markDead(): void {
    this.alive = false;
    this.failures += 1;
    this.retryAt = Date.now() + this.#probeDelay;
    this.#probeDelay = Math.min(MAX_PROBE_DELAY_MS, this.#probeDelay * 2);
  }

  /** After a 429/503: wait what the server asked, else back off exponentially (with jitter, so clients spread out). */
  backOff(retryAfterMs: number | undefined): void {
    this.failures += 1;
    this.#refusals += 1;
    const exp = Math.min(MAX_PROBE_DELAY_MS, 50 * 2 ** Math.min(this.#refusals, 10));
    const wait = retryAfterMs ?? exp * (0.5 + Math.random() / 2);
    this.retryAt = Math.max(this.retryAt, Date.now() + wait);
  }

  /** POST /predict with raw scores (Cappy's logit, what Scorer returns), for a batch of pairs. */
  async predict(
    pairs: readonly (readonly [string, string])[],
    signal: AbortSignal,
    truncate: boolean | undefined,
  ): Promise<PredictOutcome> {
    const body: Record<string, unknown> = { inputs: pairs, raw_scores: true };
    if (truncate !== undefined) body.truncate = truncate;
    let r: Response;
    let text: string;
    try {
      r = await fetch(this.url + '/predict', { method: 'POST', headers: this.#headers, body: JSON.stringify(body), signal });
      text = await r.text();
    } catch (error) {
      return { kind: 'unreachable', error };
    }
    if (r.ok) {
      this.#refusals = 0;
      return { kind: 'ok', scores: this.#readScores(text, pairs.length) };
    }
    if (RETRYABLE.has(r.status)) return { kind: 'retry', status: r.status, retryAfterMs: parseRetryAfter(r.headers.get('retry-after')) };
    if (r.status === 413) return { kind: 'too-large', status: r.status };
    let message = text.slice(0, 500);
    try {
      const e = JSON.parse(text) as { error?: unknown };
      if (typeof e.error === 'string') message = e.error;
    } catch {
      // not JSON: keep the text
    }
    return { kind: 'refused', status: r.status, message };
  }

  /** TEI's batch answer: one list of {score, label} per pair. Cappy has one label. */
  #readScores(text: string, n: number): number[] {
    const bad = (why: string) => new RemoteError(`${this.url}/predict: ${why}`, { endpoint: this.url });
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw bad('the answer is not JSON');
    }
    if (!Array.isArray(v) || v.length !== n) throw bad(`expected ${n} predictions, got ${Array.isArray(v) ? v.length : typeof v}`);
    return v.map((p, i) => {
      if (!Array.isArray(p) || p.length !== 1 || typeof p[0]?.score !== 'number') {
        throw bad(`prediction ${i} is not one {score, label} (a one-output scorer such as Cappy gives exactly one)`);
      }
      return p[0].score as number;
    });
  }
}
