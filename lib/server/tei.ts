// TEI-compatible routes: POST /rerank, POST /predict, GET /info, GET /health.
//
// Scores follow TEI's contract: a sigmoid of the logit unless the request
// sets raw_scores=true, which returns Cappy's raw logit. See docs/server.md
// for why the TEI routes keep TEI's default.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import { scoreForRequest, type RouteContext } from './context.js';
import { sigmoid } from './timing.js';
import {
  boundedArray,
  checkLengths,
  checkTruncationDirection,
  describe,
  objectBody,
  optionalBool,
  requireString,
  stringArray,
} from './validate.js';

/** Cappy has one output, labelled as HF labels a one-label head. */
export const LABEL = 'LABEL_0';

/** The package version for /info, read once from package.json (source tree or dist/ build). */
const VERSION = ((): string => {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cappy-engine' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this depth; try the next
    }
  }
  return 'unknown';
})();

function basename(dir: string): string {
  const parts = dir.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? dir;
}

/** TEI /predict inputs: a pair, or a batch of pairs. A lone string cannot be scored by Cappy. */
function predictInputs(v: unknown, max: number): { pairs: [string, string][]; batch: boolean } {
  const asPair = (x: unknown, where: string): [string, string] => {
    if (typeof x === 'string') {
      throw new HttpError('UNPROCESSABLE', `${where}: Cappy scores (instruction, response) pairs; send ["instruction", "response"]`);
    }
    if (!Array.isArray(x) || x.some((s) => typeof s !== 'string')) {
      throw new HttpError('BAD_REQUEST', `${where} must be a string pair ["instruction", "response"], got ${describe(x)}`);
    }
    if (x.length !== 2) {
      const why = x.length === 1 ? 'Cappy scores (instruction, response) pairs' : 'a pair has two strings';
      throw new HttpError(x.length === 1 ? 'UNPROCESSABLE' : 'BAD_REQUEST', `${where} has ${x.length} strings: ${why}`);
    }
    return [x[0] as string, x[1] as string];
  };
  if (typeof v === 'string') return { pairs: [asPair(v, '"inputs"')], batch: false };
  if (!Array.isArray(v)) throw new HttpError('BAD_REQUEST', `"inputs" must be a pair or a batch of pairs, got ${describe(v)}`);
  if (v.length === 0) throw new HttpError('BAD_REQUEST', '"inputs" must not be empty');
  // As in TEI, the first element decides: a string starts a single pair, an array a batch.
  if (typeof v[0] === 'string') return { pairs: [asPair(v, '"inputs"')], batch: false };
  if (v.length > max) {
    throw new HttpError('PAYLOAD_TOO_LARGE', `"inputs" has ${v.length} items, more than max_client_batch_size ${max}; split the request`);
  }
  return { pairs: v.map((x, i) => asPair(x, `"inputs[${i}]"`)), batch: true };
}

export function teiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { scorer, opts } = ctx;

  app.post('/rerank', { config: { metric: 'rerank' } }, async (request, reply) => {
    const body = objectBody(request.body);
    const query = requireString(body, 'query');
    const texts = stringArray(boundedArray(body, 'texts', opts.maxClientBatchSize), 'texts');
    // Cappy's reference tokenization truncates (longest_first), so truncation is on unless refused.
    const truncate = optionalBool(body, 'truncate', true);
    const raw = optionalBool(body, 'raw_scores', false);
    const returnText = optionalBool(body, 'return_text', false);
    checkTruncationDirection(body);
    if (!truncate) await checkLengths(scorer, texts.map(() => query), texts);
    const scores = await scoreForRequest(ctx, request, reply, texts.map((t) => [query, t] as const));
    const ranked = Array.from(scores, (s, index) => ({ index, s }));
    // Sort on the raw value: the sigmoid is monotonic but can tie distinct logits.
    ranked.sort((a, b) => b.s - a.s || a.index - b.index);
    return ranked.map(({ index, s }) =>
      returnText ? { index, text: texts[index], score: raw ? s : sigmoid(s) } : { index, score: raw ? s : sigmoid(s) },
    );
  });

  app.post('/predict', { config: { metric: 'predict' } }, async (request, reply) => {
    const body = objectBody(request.body);
    const { pairs, batch } = predictInputs(body.inputs, opts.maxClientBatchSize);
    const truncate = optionalBool(body, 'truncate', true);
    const raw = optionalBool(body, 'raw_scores', false);
    checkTruncationDirection(body);
    if (!truncate) await checkLengths(scorer, pairs.map((p) => p[0]), pairs.map((p) => p[1]));
    const scores = await scoreForRequest(ctx, request, reply, pairs);
    const one = (s: number) => [{ score: raw ? s : sigmoid(s), label: LABEL }];
    return batch ? Array.from(scores, one) : one(scores[0]);
  });

  const TEI_DTYPE: Record<string, string> = { fp32: 'float32', fp16: 'float16', int8: 'int8' };
  app.get('/info', async () => {
    const info = scorer.info;
    const o = info.options;
    return {
      model_id: opts.modelId ?? basename(info.model.dir),
      model_sha: null,
      // The graph's number format under TEI's names.
      model_dtype: TEI_DTYPE[info.model.dtype ?? 'fp32'] ?? info.model.dtype,
      model_type: { reranker: { id2label: { '0': LABEL }, label2id: { [LABEL]: 0 } } },
      max_concurrent_requests: o.maxConcurrentCalls,
      max_input_length: info.maxLength,
      max_batch_tokens: o.maxBatchTokens,
      max_batch_requests: o.maxBatchSize,
      max_client_batch_size: opts.maxClientBatchSize,
      auto_truncate: true,
      tokenization_workers: o.tokenizerThreads,
      version: VERSION,
      sha: null,
      docker_label: null,
      // Cappy-specific facts a client needs to read scores correctly.
      cappy: {
        score: 'raw logit of a regression head trained toward 0..1 (no sigmoid)',
        tei_raw_scores_default: false,
        truncation: info.truncation,
        execution_provider: info.executionProvider,
        max_queued_pairs: o.maxQueuedPairs,
        max_body_bytes: opts.bodyLimit,
        model: info.model.description,
        forged: info.model.forged !== undefined,
      },
    };
  });

  // Health answers without a key (probes carry none), and says 503 while
  // draining so a load balancer stops sending work here.
  app.get('/health', { config: { public: true } }, async (_request, reply) => {
    if (ctx.state.draining) {
      return reply.code(503).send({ error: 'server is shutting down', error_type: 'Unhealthy' });
    }
    return reply.code(200).send({ status: 'ok' });
  });
}
