// Asking an OpenAI-compatible server for N candidates. With `n` when the
// server honours it (vLLM, OpenAI); with N parallel requests when it does not
// (llama.cpp's server answers one choice whatever `n` says). In 'auto' mode
// the first request asks with `n`; if fewer choices come back, the rest are
// asked for in parallel and that path is remembered as one that ignores `n`.
// Upstream failures are not hidden: a non-2xx answer passes through as it
// came, a timeout is a 504, an unreachable server a 502.

export type BoostMode = 'auto' | 'n' | 'parallel';

type Json = Record<string, unknown>;

/** An upstream answer to pass through, or a gateway failure of our own. */
export class UpstreamFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string,
    /** The upstream's own Retry-After header, passed through as it came. */
    readonly retryAfter?: string,
    /** Our code for a gateway failure of our own (lib/server/errors.ts); undefined for the upstream's answers. */
    readonly code?: 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_BAD_RESPONSE',
  ) {
    super(`upstream failure ${status}`);
    this.name = 'UpstreamFailure';
  }

  static gateway(
    status: 502 | 504,
    message: string,
    type: 'upstream_unreachable' | 'upstream_timeout' | 'upstream_bad_response',
  ): UpstreamFailure {
    const body = JSON.stringify({ error: { message, type, code: null, param: null } });
    return new UpstreamFailure(status, body, 'application/json; charset=utf-8', undefined, type.toUpperCase() as UpstreamFailure['code']);
  }
}

export interface Gathered {
  /** The first upstream answer: the shape (id, model, created, ...) our answer keeps. */
  first: Json;
  /** Every candidate choice, in the order received. */
  choices: Json[];
  /** Token usage summed over every upstream request (each parallel request bills its prompt). */
  usage: Json | undefined;
  mode: 'n' | 'parallel';
  requests: number;
  ms: number;
}

export interface UpstreamOptions {
  /** Base URL as OpenAI clients take it, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  mode: BoostMode;
  timeoutMs: number;
}

/**
 * A signal that aborts with the reason of the first of `signals` to abort:
 * AbortSignal.any by hand, which Node has only from 20.3 (the package
 * supports every Node 20). Each signal here lives for one request.
 */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true, signal: controller.signal });
  }
  return controller.signal;
}

/** Adds numbers field by field (nested objects too), as usage objects add up. */
function addUsage(a: Json | undefined, b: unknown): Json | undefined {
  if (b === null || typeof b !== 'object') return a;
  const out: Json = { ...(a ?? {}) };
  for (const [k, v] of Object.entries(b as Json)) {
    if (typeof v === 'number') out[k] = (typeof out[k] === 'number' ? (out[k] as number) : 0) + v;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = addUsage(out[k] as Json | undefined, v);
    else if (!(k in out)) out[k] = v;
  }
  return out;
}

export class Upstream {
  readonly #opts: UpstreamOptions;
  readonly #base: string;
  /** Paths found to ignore `n`. */
  readonly #ignoresN = new Set<string>();

  constructor(opts: UpstreamOptions) {
    this.#opts = opts;
    this.#base = opts.baseUrl.replace(/\/+$/, '');
  }

  get baseUrl(): string {
    return this.#base;
  }

  /** One POST; resolves with the JSON body of a 2xx answer, throws UpstreamFailure otherwise. */
  async #post(path: string, body: Json, headers: Record<string, string>, signal: AbortSignal): Promise<Json> {
    let res: Response;
    try {
      res = await fetch(this.#base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      });
    } catch (e) {
      throw this.#fetchFailure(e, signal);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw this.#fetchFailure(e, signal);
    }
    if (res.status < 200 || res.status > 299) {
      const type = res.headers.get('content-type') ?? 'application/json; charset=utf-8';
      throw new UpstreamFailure(res.status, text, type, res.headers.get('retry-after') ?? undefined);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw UpstreamFailure.gateway(502, `upstream answered ${res.status} without JSON`, 'upstream_bad_response');
    }
    if (json === null || typeof json !== 'object' || !Array.isArray((json as Json).choices)) {
      throw UpstreamFailure.gateway(502, 'upstream answered without a "choices" array', 'upstream_bad_response');
    }
    return json as Json;
  }

  #fetchFailure(e: unknown, signal: AbortSignal): unknown {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      if (reason instanceof DOMException && reason.name === 'TimeoutError') {
        return UpstreamFailure.gateway(504, `upstream did not answer within ${this.#opts.timeoutMs / 1000} s`, 'upstream_timeout');
      }
      return reason ?? e; // the client went away, or the server is draining
    }
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    return UpstreamFailure.gateway(
      502,
      `cannot reach upstream ${this.#base}: ${cause?.code ?? cause?.message ?? String(e)}`,
      'upstream_unreachable',
    );
  }

  /**
   * Asks for `n` candidates for `body` (a chat or completions request; its
   * own `n` and streaming fields are replaced). `signal` is the client's.
   */
  async gather(path: string, body: Json, n: number, headers: Record<string, string>, clientSignal: AbortSignal): Promise<Gathered> {
    const t0 = performance.now();
    const signal = anySignal([clientSignal, AbortSignal.timeout(this.#opts.timeoutMs)]);
    const { n: _n, stream: _s, stream_options: _so, ...base } = body;
    const single = { ...base, stream: false };
    const mode = this.#opts.mode === 'auto' ? (this.#ignoresN.has(path) ? 'parallel' : 'n') : this.#opts.mode;
    // Fails the other requests as soon as one fails.
    const local = new AbortController();
    const both = anySignal([signal, local.signal]);
    const one = (b: Json) =>
      this.#post(path, b, headers, both).catch((e: unknown) => {
        local.abort(e);
        throw e;
      });
    const answers: Json[] = [];
    if (mode === 'n' && n > 1) {
      answers.push(await one({ ...single, n }));
      const got = (answers[0].choices as unknown[]).length;
      if (got < n && this.#opts.mode === 'auto') {
        this.#ignoresN.add(path);
        answers.push(...(await Promise.all(Array.from({ length: n - got }, () => one(single)))));
      }
    } else {
      answers.push(...(await Promise.all(Array.from({ length: n }, () => one(single)))));
    }
    let usage: Json | undefined;
    for (const a of answers) usage = addUsage(usage, a.usage);
    return {
      first: answers[0],
      choices: answers.flatMap((a) => a.choices as Json[]),
      usage,
      mode: answers.length > 1 ? 'parallel' : 'n',
      requests: answers.length,
      ms: performance.now() - t0,
    };
  }
}
