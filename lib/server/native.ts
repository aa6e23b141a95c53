// Cappy-native routes. POST /score takes {pairs: [[instruction, response], …]}
// and answers {scores: […]} in input order, raw logits. POST /score/stream is
// the same for jobs of any size: NDJSON pairs in (or a JSON {pairs} body),
// NDJSON `{"index", "score"}` lines out as they are computed, with bounded
// read-ahead, so neither side holds the whole job in memory.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toPair, type Pair } from '../scorer/pairs.js';
import { AbortError } from '../errors/index.js';
import { HttpError, mapError } from './errors.js';
import { drainAware, modelFor, recordOf, requestSignal, scoreForRequest, type RouteContext } from './context.js';
import { asInvalidRequest, boundedArray, describe, objectBody, pairList } from './validate.js';

export const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/ndjson'];

/** Pairs from an NDJSON body, one per non-blank line; a line longer than maxLine bytes is a 413. */
async function* ndjsonPairs(stream: Readable, maxLine: number): AsyncGenerator<Pair> {
  stream.setEncoding('utf8'); // decodes characters split across chunks correctly
  let buf = '';
  let lineNo = 0;
  let seen = 0;
  const parse = (line: string): Pair | undefined => {
    lineNo += 1;
    if (line.length > maxLine) throw new HttpError('PAYLOAD_TOO_LARGE', `line ${lineNo} is longer than ${maxLine} bytes`);
    if (line.trim() === '') return undefined;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new HttpError('BAD_REQUEST', `line ${lineNo}: not valid JSON (${(e as Error).message})`);
    }
    seen += 1;
    return asInvalidRequest(() => toPair(v, `line ${lineNo}`));
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    buf += chunk;
    let start = 0;
    for (let nl = buf.indexOf('\n', start); nl >= 0; nl = buf.indexOf('\n', start)) {
      const p = parse(buf.slice(start, nl));
      start = nl + 1;
      if (p) yield p;
    }
    buf = buf.slice(start);
    // Characters, not bytes, but a JS string's length is at most its UTF-8 size.
    if (buf.length > maxLine) throw new HttpError('PAYLOAD_TOO_LARGE', `line ${lineNo + 1} is longer than ${maxLine} bytes`);
  }
  const last = parse(buf);
  if (last) yield last;
  if (seen === 0) throw new HttpError('EMPTY', 'empty request body: send NDJSON pairs, one per line');
}

function isReadable(v: unknown): v is Readable {
  return v instanceof Readable || (v !== null && typeof v === 'object' && typeof (v as Readable).pipe === 'function');
}

async function streamScores(ctx: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  // NDJSON bodies name their model with ?model=, JSON bodies with "model".
  const json = isReadable(request.body) ? undefined : objectBody(request.body);
  const { scorer } = modelFor(ctx, request, json);
  const signal = requestSignal(ctx, reply);
  const source: AsyncIterable<Pair> | Iterable<Pair> = !json
    ? ndjsonPairs(request.body as Readable, ctx.opts.bodyLimit)
    : (() => {
        // A JSON {pairs} body: scored in chunks, answered as a stream.
        const pairs = json.pairs;
        if (!Array.isArray(pairs)) throw new HttpError('INVALID_REQUEST', `"pairs" must be an array, got ${describe(pairs)}`);
        if (pairs.length === 0) throw new HttpError('EMPTY', '"pairs" must not be empty');
        return pairList(pairs, 'pairs');
      })();
  const t0 = performance.now();
  const scored = scorer.scoreStream(source, { withIndex: true, signal, chunkSize: ctx.opts.streamChunkSize });
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    for await (const { index, score } of scored) {
      count += 1;
      yield `{"index":${index},"score":${JSON.stringify(score)}}\n`;
    }
  }
  const it = lines();
  // Failures before the first score (bad first lines, a full queue) still get
  // a proper status code; after that the status is sent, so they become a
  // final error line.
  // A client that leaves mid-upload makes the body reader fail with a socket
  // error; report it as the cancellation it is, not as a server fault.
  const asAbort = (e: unknown) => {
    const drained = drainAware(signal, e);
    if (drained !== e) return drained;
    return signal.aborted ? new AbortError('client closed the connection', { cause: e }) : e;
  };
  let first: IteratorResult<string>;
  try {
    first = await it.next();
  } catch (e) {
    throw asAbort(e);
  }
  async function* body(): AsyncGenerator<string> {
    try {
      if (!first.done) yield first.value;
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        yield r.value;
      }
      yield JSON.stringify({ done: true, count, compute_ms: Math.round(performance.now() - t0) }) + '\n';
    } catch (e) {
      const m = mapError(asAbort(e));
      recordOf(request).errLabel = m.label;
      yield JSON.stringify({ ...m.body, status: m.status, count }) + '\n';
    } finally {
      // The client may leave mid-stream: close the scoring generator (and with
      // it the request reader) instead of leaving it suspended.
      await it.return(undefined);
    }
  }
  return reply.type('application/x-ndjson').send(Readable.from(body(), { objectMode: false }));
}

export function nativeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  // NDJSON bodies reach the stream route as the raw request stream; the
  // route reads it incrementally and bounds each line, not the whole body.
  app.addContentTypeParser(NDJSON_TYPES, (_request, payload, done) => done(null, payload));

  app.post('/score', { config: { metric: 'score' } }, async (request, reply) => {
    if (isReadable(request.body)) {
      throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'POST /score takes a JSON {"pairs": [...]} body; send NDJSON to /score/stream');
    }
    const body = objectBody(request.body);
    const { scorer } = modelFor(ctx, request, body);
    const pairs = pairList(boundedArray(body, 'pairs', ctx.opts.maxRequestItems), 'pairs');
    const scores = await scoreForRequest(ctx, request, reply, scorer, pairs);
    return { scores: Array.from(scores) };
  });

  app.post('/score/stream', { config: { metric: 'score_stream' } }, (request, reply) => streamScores(ctx, request, reply));
}
