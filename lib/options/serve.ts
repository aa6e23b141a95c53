// Every option of the server and of the commands around the Scorer, declared
// once: `createServer` checks its options against the entries marked
// `server`, and `cappy serve` (and score, bench, eval for `model`) offers each
// as a flag and a CAPPY_* variable. Scorer options live in ./scorer.ts.
import { InvalidInputError } from '../errors/index.js';
import { boolean, decimal, integer, list, text, type OptionSpec } from './spec.js';

/** A model the server serves: a name requests use, and a folder or hub id. */
export interface ModelRef {
  name: string | undefined;
  dir: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export function checkModelName(name: string, where: string): string {
  if (!NAME.test(name)) {
    throw new InvalidInputError(`${where}: a model name is letters, digits and . _ : / - (at most 128), starting with a letter or digit; got '${name}'`);
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
  apiKey: text({ placeholder: 'key', help: 'require "Authorization: Bearer <key>" on every route but /health and /live' }),
  /** Name a bare model (one given without name=) answers to. Default: its folder name, or the hub id. */
  modelId: text({ placeholder: 'name', help: 'name of a bare --model DIR in requests and on /info', defaultText: 'the folder name' }),
  /** Items (texts, documents, pairs) one request may carry; more is a 413. */
  maxClientBatchSize: integer({ default: 1024, help: 'items one request may carry; more is a 413' }),
  /** Request body limit in bytes; more is a 413. For NDJSON streams it bounds one line. */
  bodyLimit: integer({ default: 8 * 1024 * 1024, defaultText: '8 MiB', help: 'request body limit in bytes (one line for NDJSON streams)' }),
  /** Pairs per scoring call on the NDJSON stream route. */
  streamChunkSize: integer({ max: 65536, default: 256, help: 'pairs per scoring call on /score/stream' }),
  /** Longest time to receive a whole request; 0 disables. Node's own default, which Fastify turns off. */
  requestTimeout: decimal({ min: 0, max: 86_400, unit: 'seconds', default: 300, help: 'longest time to receive a whole request (0: no limit)' }),
} as const;

/** Options of the `cappy serve` process (and `model` for every command that loads one). */
export const SERVE_OPTIONS = {
  /** Model folders or hub ids: `name=DIR`, or a bare `DIR`; repeat for several models. */
  model: list(modelRef, { help: 'model folder or hub id, as name=DIR or DIR; repeat (or comma-separate) for several' }),
  /** Address to bind; loopback unless you mean to expose it. */
  host: text({ placeholder: 'host', default: '127.0.0.1', help: 'address to bind; loopback unless you mean to expose it' }),
  /** Port; 0 picks a free one (printed on stderr). */
  port: integer({ min: 0, max: 65535, default: 8080, help: 'port (0 picks a free one)' }),
  /** One JSON log line per request on stdout. */
  log: boolean({ default: false, help: 'log each request (JSON lines on stdout)' }),
  ...SERVER_OPTIONS,
} as const;
