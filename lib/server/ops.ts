// Operations routes: readiness (GET /health, TEI's), liveness (GET /live),
// what is served (GET /info, TEI's shape; GET /v1/models, OpenAI's), and
// Prometheus metrics (GET /metrics).
//
// /health is readiness: 200 only when every model is loaded and warmed and
// the server is not draining, so a request would be served at once; 503 while
// loading, warming, draining, or after a model failed to load. /live is
// liveness: 200 whenever the process answers HTTP. Both need no API key.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestedModel, type RouteContext } from './context.js';
import type { ModelState, ServedModel } from './models.js';
import { LABEL } from './tei.js';

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

const STARTED = Math.floor(Date.now() / 1000);
const TEI_DTYPE: Record<string, string> = { fp32: 'float32', fp16: 'float16', int8: 'int8' };

/** The server's overall state: the first that applies of draining, failed, loading, warming, ready. */
function overall(ctx: RouteContext): 'draining' | ModelState {
  if (ctx.state.draining) return 'draining';
  const states = Object.values(ctx.models.states());
  for (const s of ['failed', 'loading', 'warming'] as const) if (states.includes(s)) return s;
  return 'ready';
}

/** One model under TEI's /info names, plus the Cappy facts a client needs to read its scores. */
function modelInfo(ctx: RouteContext, m: ServedModel) {
  const o = ctx.opts;
  const info = m.scorer?.info;
  const so = info?.options;
  return {
    model_id: m.name,
    // TEI 1.9's Info requires it: the name requests use (its --served-model-name).
    served_model_name: m.name,
    model_sha: null,
    // The graph's number format under TEI's names.
    model_dtype: info ? (TEI_DTYPE[info.model.dtype ?? 'fp32'] ?? info.model.dtype) : null,
    model_type: { reranker: { id2label: { '0': LABEL }, label2id: { [LABEL]: 0 } } },
    // TEI's meaning: requests held at once before it answers 429. This server
    // bounds waiting pairs instead (--max-queued-pairs), so that is how many
    // one-pair requests it holds. Its native calls at once (maxConcurrentCalls)
    // are another thing: reported here, they made clients send 2 at a time.
    max_concurrent_requests: so?.maxQueuedPairs ?? null,
    max_input_length: info?.maxLength ?? null,
    max_batch_tokens: so?.maxBatchTokens ?? null,
    max_batch_requests: so?.maxBatchSize ?? null,
    // Items per scoring call: bigger requests are split at this size, not refused.
    max_client_batch_size: o.maxClientBatchSize,
    auto_truncate: true,
    tokenization_workers: so?.tokenizerThreads ?? null,
    version: VERSION,
    sha: null,
    docker_label: null,
    cappy: {
      state: m.state,
      default: m.name === ctx.models.defaultName,
      score: 'raw logit of a regression head trained toward 0..1 (no sigmoid)',
      tei_raw_scores_default: false,
      truncation: info?.truncation ?? null,
      long_inputs: so?.longInputs
        ? { mode: so.longInputs, max_chunks: so.maxChunks, chunk_overlap: so.chunkOverlap, aggregation: so.chunkAggregation }
        : null,
      execution_provider: info?.executionProvider ?? null,
      max_queued_pairs: so?.maxQueuedPairs ?? null,
      // The hard cap: a request with more items is a 413.
      max_request_items: o.maxRequestItems,
      max_body_bytes: o.bodyLimit,
      model: info?.model.description ?? null,
      forged: info ? info.model.forged !== undefined : null,
    },
  };
}

export function opsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const pub = { config: { public: true } };

  const health = async (_request: FastifyRequest, reply: FastifyReply) => {
    const status = overall(ctx);
    const models = ctx.models.states();
    if (status === 'ready') return reply.code(200).send({ status: 'ok', models });
    const failed = ctx.models.all().filter((m) => m.state === 'failed');
    const why =
      status === 'draining'
        ? 'server is shutting down'
        : status === 'failed'
          ? `model ${failed.map((m) => `'${m.name}' failed to load (${m.error?.message ?? 'unknown error'})`).join(', ')}`
          : `not ready: ${Object.entries(models)
              .filter(([, s]) => s !== 'ready')
              .map(([n, s]) => `${n} is ${s}`)
              .join(', ')}`;
    return reply
      .code(503)
      .send({ error: why, error_type: 'Unhealthy', code: status === 'draining' ? 'DRAINING' : 'NOT_READY', status, models });
  };
  app.get('/health', pub, health);
  // TEI's GET / is its health route too.
  app.get('/', pub, health);

  app.get('/live', pub, async () => ({ status: 'alive', state: overall(ctx), models: ctx.models.states() }));

  // TEI's fields describe one model: the one `?model=` names, else the
  // default. `models` lists every model the same way.
  app.get('/info', async (request) => {
    const picked = ctx.models.entry(requestedModel(request));
    return { ...modelInfo(ctx, picked), models: ctx.models.all().map((m) => modelInfo(ctx, m)) };
  });

  // OpenAI's model listing (what LiteLLM and OpenAI-style clients read).
  app.get('/v1/models', async () => ({
    object: 'list',
    data: ctx.models.all().map((m) => ({
      id: m.name,
      object: 'model',
      created: STARTED,
      owned_by: 'cappy-engine',
      state: m.state,
      default: m.name === ctx.models.defaultName,
      max_input_length: m.scorer?.info.maxLength ?? null,
    })),
  }));

  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
