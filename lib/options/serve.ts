// Every option of the server and of the commands around the Scorer, declared
// once: `createServer` checks its options against the entries marked
// `server`, and `cappy serve` (and score, bench, eval for `model`) offers each
// as a flag and a CAPPY_* variable. Scorer options live in ./scorer.ts.
import { InvalidInputError } from '../errors/index.js';
import { boolean, decimal, httpUrl, integer, list, oneOf, text, type OptionSpec } from './spec.js';

/** A model the server serves: a name requests use, and a folder or hub id. */
export interface ModelRef {
  name: string | undefined;
  dir: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export function checkModelName(name: string, where: string): string {
  if (!NAME.test(name)) {
    throw new InvalidInputError(
      `${where}: a model name is letters, digits and . _ : / - (at most 128), starting with a letter or digit; got '${name}'`,
    );
  }
  return name;
}

/** `name=DIR` or a bare `DIR` (named later after its folder). */
export function parseModelRef(textValue: string, where: string): ModelRef {
  const eq = textValue.indexOf('=');
  if (eq < 0) {
    if (textValue === '') throw new InvalidInputError(`${where} must not be empty`);
    return { name: undefined, dir: textValue };
  }
  const name = textValue.slice(0, eq).trim();
  const dir = textValue.slice(eq + 1).trim();
  if (dir === '') throw new InvalidInputError(`${where}: '${textValue}' names no folder; write name=DIR`);
  return { name: checkModelName(name, where), dir };
}

const modelRef: OptionSpec<string> = text({ placeholder: 'name=dir', help: '', validate: (v, name) => void parseModelRef(v, name) });

/** Options `createServer` takes (the library's ServerOptions). */
export const SERVER_OPTIONS = {
  /** When set, every route except /health and /live needs `Authorization: Bearer <apiKey>`. */
  apiKey: text({ placeholder: 'key', secret: true, help: 'require "Authorization: Bearer <key>" on every route but /health and /live' }),
  /** Name of the model requests get when they name none. Default: the first model. */
  defaultModel: text({ placeholder: 'name', help: 'model a request gets when it names none', defaultText: 'the first --model' }),
  /** Name a bare model (one given without name=) answers to. Default: its folder name, or the hub id. */
  modelId: text({ placeholder: 'name', help: 'name of a bare --model DIR in requests and on /info', defaultText: 'the folder name' }),
  /**
   * Items (texts, documents, pairs) one scoring call takes. A request with
   * more is split into calls of this size, answered as one, in order; /info
   * reports it as TEI's max_client_batch_size.
   */
  maxClientBatchSize: integer({ default: 1024, help: 'items per scoring call; bigger requests are split into calls of this size' }),
  /** Items one request may carry at all (the hard cap); more is a 413. */
  maxRequestItems: integer({ default: 65536, help: 'items one request may carry at most; more is a 413' }),
  /** Request body limit in bytes; more is a 413. For NDJSON streams it bounds one line. */
  bodyLimit: integer({
    default: 32 * 1024 * 1024,
    defaultText: '32 MiB',
    help: 'request body limit in bytes (one line for NDJSON streams)',
  }),
  /** Pairs per scoring call on the NDJSON stream route. */
  streamChunkSize: integer({ max: 65536, default: 256, help: 'pairs per scoring call on /score/stream' }),
  /** Longest time to receive a whole request; 0 disables. Node's own default, which Fastify turns off. */
  requestTimeout: decimal({
    min: 0,
    max: 86_400,
    unit: 'seconds',
    default: 300,
    help: 'longest time to receive a whole request (0: no limit)',
  }),
  /** An OpenAI-compatible server to boost: POST /v1/chat/completions and /v1/completions go there for candidates. */
  boostUpstream: httpUrl({ help: 'OpenAI-compatible server (base URL, e.g. http://127.0.0.1:8000/v1) to boost with best-of-N' }),
  /** Candidates asked of the upstream per boosted request. */
  boostN: integer({ max: 64, default: 4, help: 'candidates asked of the upstream per boosted request' }),
  /** 'n': one upstream request with `n`; 'parallel': N requests; 'auto': `n`, then parallel requests if the upstream ignores it. */
  boostMode: oneOf(['auto', 'n', 'parallel'], { default: 'auto', help: 'how candidates are asked for: n, parallel requests, or auto' }),
  /** Longest wait for the upstream, per boosted request; beyond it the client gets 504. */
  boostTimeout: decimal({ min: 0.001, max: 3600, unit: 'seconds', default: 120, help: 'longest wait for the upstream; then 504' }),
  /**
   * The upstream's own key, sent as `Authorization: Bearer`; the client's
   * Authorization header is then never forwarded. Without it, the client's
   * own header is forwarded only when this server checks no --api-key.
   */
  boostUpstreamKey: text({
    placeholder: 'key',
    secret: true,
    help: "the upstream's own bearer key; the client's Authorization is then not forwarded",
  }),
  /** The Cappy model that scores boost candidates. Default: the default model. */
  boostModel: text({ placeholder: 'name', help: 'the served model that scores candidates', defaultText: 'the default model' }),
} as const;

/** Options of the `cappy serve` process (and `model` for every command that loads one). */
export const SERVE_OPTIONS = {
  /** Model folders or hub ids: `name=DIR`, or a bare `DIR`; repeat for several models. */
  model: list(modelRef, { help: 'model folder or hub id, as name=DIR or DIR; repeat (or comma-separate) for several' }),
  /** Address to bind; loopback unless you mean to expose it. */
  host: text({ placeholder: 'host', default: '127.0.0.1', help: 'address to bind; loopback unless you mean to expose it' }),
  /** Port; 0 picks a free one (printed on stderr). */
  port: integer({ min: 0, max: 65535, default: 8080, help: 'port (0 picks a free one)' }),
  /** Seconds SIGTERM waits for accepted requests; after it they fail (503) and the process exits. */
  drainTimeout: decimal({
    min: 0,
    max: 86_400,
    unit: 'seconds',
    default: 30,
    help: 'after SIGTERM, seconds to finish accepted requests; then they fail and the process exits',
  }),
  /** Token lengths (per pair, specials included) the warm-up runs, each at every batch size; `none` skips warm-up. */
  warmupLengths: list(integer({ help: '' }), {
    default: [16, 512],
    help: 'token lengths (per pair) warm-up runs before /health says ready; none skips it',
  }),
  /** Batch sizes the warm-up runs at each length. */
  warmupBatchSizes: list(integer({ max: 65536, help: '' }), {
    default: [1],
    help: 'batch sizes warm-up runs at each length (on a GPU, add the batch sizes your traffic has)',
  }),
  /** One JSON log line per request on stdout. */
  log: boolean({ default: false, help: 'log each request (JSON lines on stdout)' }),
  ...SERVER_OPTIONS,
} as const;
