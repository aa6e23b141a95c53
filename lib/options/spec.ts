// How an option is declared: once, in a table, with its type, default,
// validation and help. The CLI flag is the key in kebab-case and the
// environment variable is CAPPY_ + the flag in UPPER_SNAKE (TEI's style), so
// `maxBatchTokens` is `--max-batch-tokens` and CAPPY_MAX_BATCH_TOKENS. The
// library checks a JS value with `check`; the CLI and the environment give
// text, read by `parse`. Both end in the same checks and the same messages.
import { InvalidInputError } from '../errors/index.js';

export const MAX_INT32 = 2 ** 31 - 1;

export interface OptionSpec<T> {
  /** What the value is, for help and docs: 'integer', 'seconds', 'cpu|cuda', ... */
  readonly type: string;
  readonly help: string;
  /** The CLI flag without dashes; default: the key in kebab-case. */
  readonly flag?: string;
  /** The value when none is given (a function when it depends on the machine); absent: none. */
  readonly default?: T | (() => T);
  /** How help shows a computed default, e.g. 'the core count'. */
  readonly defaultText?: string;
  /** A list option: the flag may repeat, and one occurrence may hold several comma-separated items. */
  readonly repeatable?: boolean;
  /** A library-only option (an object, a secret path, ...): never a flag or an env var. */
  readonly libraryOnly?: boolean;
  /** A key or token: `cappy doctor` says whether its variable is set, never its value. */
  readonly secret?: boolean;
  /** Checks a value a library caller passed; `name` is how messages call it. */
  check(value: unknown, name: string): T;
  /** Reads the text form (a CLI argument or an environment variable). */
  parse(text: string, name: string): T;
}

/** An option that always resolves to a value. */
export type Defaulted<T> = OptionSpec<T> & { readonly default: T | (() => T) };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptionTable = Readonly<Record<string, OptionSpec<any>>>;

type ValueOf<S> = S extends OptionSpec<infer V> ? V : never;

/** What a caller may pass: every option optional. */
export type GivenOptions<T extends OptionTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> };

/** After resolution: options with a default are always set. */
export type ResolvedOptions<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends Defaulted<infer V> ? V : ValueOf<T[K]> | undefined;
};

export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return String(v);
}

/**
 * The one integer validator (library options, CLI flags, environment
 * variables and request fields all use it): an integer from min to max, or an
 * InvalidInputError that names the option and the value.
 */
export function checkInteger(name: string, value: unknown, min = 1, max = MAX_INT32): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${name} must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

/** Integer text: plain digits only (Number('') is 0 and Number('1e3') is 1000; neither is what a user meant). */
export function parseInteger(name: string, text: string, min = 1, max = MAX_INT32): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw new InvalidInputError(`${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return checkInteger(name, Number(t), min, max);
}

interface Common<T> {
  help: string;
  flag?: string;
  default?: T | (() => T);
  defaultText?: string;
  libraryOnly?: boolean;
  secret?: boolean;
}

type WithDefault<T> = { default: T | (() => T) };

export function integer(o: Common<number> & WithDefault<number> & { min?: number; max?: number }): Defaulted<number>;
export function integer(o: Common<number> & { min?: number; max?: number }): OptionSpec<number>;
export function integer(o: Common<number> & { min?: number; max?: number }): OptionSpec<number> {
  const min = o.min ?? 1;
  const max = o.max ?? MAX_INT32;
  return {
    ...o,
    type: 'integer',
    check: (v, name) => checkInteger(name, v, min, max),
    parse: (t, name) => parseInteger(name, t, min, max),
  };
}

/** A finite number in a range, in `unit` (ms, seconds). */
export function decimal(o: Common<number> & WithDefault<number> & { min: number; max: number; unit: string }): Defaulted<number>;
export function decimal(o: Common<number> & { min: number; max: number; unit: string }): OptionSpec<number>;
export function decimal(o: Common<number> & { min: number; max: number; unit: string }): OptionSpec<number> {
  const check = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < o.min || v > o.max) {
      throw new InvalidInputError(`${name} must be a number of ${o.unit} from ${o.min} to ${o.max}, got ${show(v)}`);
    }
    return v;
  };
  return {
    ...o,
    type: o.unit,
    check,
    parse: (t, name) => {
      if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(t)) {
        throw new InvalidInputError(`${name} must be a number of ${o.unit} from ${o.min} to ${o.max}, got '${t}'`);
      }
      return check(Number(t), name);
    },
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** On the CLI a bare `--flag` means true; `--flag false` (or the env var set to false/0/no/off) means false. */
export function boolean(o: Common<boolean> & WithDefault<boolean>): Defaulted<boolean>;
export function boolean(o: Common<boolean>): OptionSpec<boolean>;
export function boolean(o: Common<boolean>): OptionSpec<boolean> {
  return {
    ...o,
    type: 'boolean',
    check: (v, name) => {
      if (typeof v !== 'boolean') throw new InvalidInputError(`${name} must be a boolean, got ${show(v)}`);
      return v;
    },
    parse: (t, name) => {
      const s = t.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      throw new InvalidInputError(`${name} must be true or false, got '${t}'`);
    },
  };
}

export function oneOf<const C extends readonly string[]>(choices: C, o: Common<C[number]> & WithDefault<C[number]>): Defaulted<C[number]>;
export function oneOf<const C extends readonly string[]>(choices: C, o: Common<C[number]>): OptionSpec<C[number]>;
export function oneOf<const C extends readonly string[]>(choices: C, o: Common<C[number]>): OptionSpec<C[number]> {
  const check = (v: unknown, name: string): C[number] => {
    if (typeof v !== 'string' || !choices.includes(v)) {
      throw new InvalidInputError(`${name} must be one of ${choices.join(', ')}, got ${show(v)}`);
    }
    return v;
  };
  return { ...o, type: choices.join('|'), check, parse: (t, name) => check(t.trim(), name) };
}

/** A string; non-empty unless `allowEmpty`. `validate` adds a check of its own (a URL, a name=dir form). */
export function text(o: Common<string> & WithDefault<string> & TextRules): Defaulted<string>;
export function text(o: Common<string> & TextRules): OptionSpec<string>;
export function text(o: Common<string> & TextRules): OptionSpec<string> {
  const check = (v: unknown, name: string): string => {
    if (typeof v !== 'string') throw new InvalidInputError(`${name} must be a string, got ${show(v)}`);
    if (v === '' && !o.allowEmpty) throw new InvalidInputError(`${name} must not be empty`);
    o.validate?.(v, name);
    return v;
  };
  return { ...o, type: o.placeholder ?? 'string', check, parse: check };
}

/** An http(s) base URL (a remote endpoint, an upstream server). */
export function httpUrl(o: Common<string>): OptionSpec<string> {
  return text({
    placeholder: 'url',
    ...o,
    validate: (v, name) => {
      let protocol: string;
      try {
        protocol = new URL(v).protocol;
      } catch {
        protocol = '';
      }
      if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidInputError(`${name} must be an http(s) URL, got '${v}'`);
    },
  });
}

interface TextRules {
  allowEmpty?: boolean;
  placeholder?: string;
  validate?: (v: string, name: string) => void;
}

/** String-to-string options as an object; on the CLI `key=value,key=value`. */
export function keyValues(o: Common<Record<string, string>> & WithDefault<Record<string, string>>): Defaulted<Record<string, string>>;
export function keyValues(o: Common<Record<string, string>>): OptionSpec<Record<string, string>>;
export function keyValues(o: Common<Record<string, string>>): OptionSpec<Record<string, string>> {
  const check = (v: unknown, name: string): Record<string, string> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      throw new InvalidInputError(`${name} must be an object of string values, e.g. { use_tf32: "0" }`);
    }
    return { ...(v as Record<string, string>) };
  };
  return {
    ...o,
    type: 'key=value,...',
    check,
    parse: (t, name) => {
      const out: Record<string, string> = {};
      for (const part of t
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const eq = part.indexOf('=');
        if (eq <= 0) throw new InvalidInputError(`${name} must be key=value pairs separated by commas, got '${part}'`);
        out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
      }
      return out;
    },
  };
}

/**
 * A list of items. On the CLI the flag may repeat and each occurrence may
 * hold several items separated by commas; the env var holds them all
 * comma-separated. `none` alone is the empty list.
 */
export function list<E>(item: OptionSpec<E>, o: Common<E[]> & WithDefault<E[]>): Defaulted<E[]>;
export function list<E>(item: OptionSpec<E>, o: Common<E[]>): OptionSpec<E[]>;
export function list<E>(item: OptionSpec<E>, o: Common<E[]>): OptionSpec<E[]> {
  return {
    ...o,
    type: `${item.type},...`,
    repeatable: true,
    check: (v, name) => {
      if (!Array.isArray(v)) throw new InvalidInputError(`${name} must be an array, got ${show(v)}`);
      return v.map((x, i) => item.check(x, `${name}[${i}]`));
    },
    parse: (t, name) => {
      if (t.trim() === 'none') return [];
      return t
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => item.parse(s, name));
    },
  };
}

/** `maxBatchTokens` → `max-batch-tokens`. */
export function flagOf(key: string, spec: OptionSpec<unknown>): string {
  return spec.flag ?? key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** `max-batch-tokens` → `CAPPY_MAX_BATCH_TOKENS`. */
export function envOf(flag: string): string {
  return 'CAPPY_' + flag.toUpperCase().replace(/-/g, '_');
}

function defaultOf<T>(spec: OptionSpec<T>): T | undefined {
  const d = spec.default;
  return typeof d === 'function' ? (d as () => T)() : d;
}

/** Edit distance with adjacent transpositions (optimal string alignment), so 'maxLenght' is 1 from 'maxLength'. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known key a misspelled one most likely meant: the same letters in
 * another case, else the nearest by edit distance when it is within a third
 * of the key's length (at least 1, at most 3). Undefined when none is near.
 */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    if (k.toLowerCase() === key.toLowerCase()) return k;
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(key.length / 3))) ? best : undefined;
}

/**
 * Refuses a key of `given` that is not in `known` (a key set to undefined is
 * let through, as spreading `{ ...o, x: undefined }` does), naming the
 * closest known key: "unknown option 'maxLenght'; did you mean maxLength?".
 */
export function checkKnownKeys(given: object, known: Iterable<string>, what: string): void {
  const keys = new Set(known);
  for (const [key, value] of Object.entries(given)) {
    if (keys.has(key) || value === undefined) continue;
    const near = closestKey(key, keys);
    const hint = near !== undefined ? `; did you mean ${near}?` : ` (known: ${[...keys].join(', ')})`;
    throw new InvalidInputError(`${what}: unknown option '${key}'${hint}`, { reason: 'unknown_option' });
  }
}

export interface ResolveRules {
  /** Refuse keys outside the table (and `alsoKnown`), naming the closest. Default: keys outside are left alone. */
  strict?: boolean;
  /** Keys the caller takes beside the table's (a logger, a signal, ...). */
  alsoKnown?: readonly string[];
}

/**
 * Checks every option of `table` that `given` sets and fills the defaults of
 * the rest. Keys outside the table are refused with `strict` (the public
 * entry points: Scorer.load, the Tokenizer, RemoteScorer.connect, the server);
 * otherwise left alone (callers may pass one object that several tables read).
 */
export function resolveOptions<T extends OptionTable>(
  table: T,
  given: object | undefined,
  what = 'options',
  rules: ResolveRules = {},
): ResolvedOptions<T> {
  if (given === undefined) given = {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new InvalidInputError(`${what} must be an object`);
  if (rules.strict) checkKnownKeys(given, [...Object.keys(table), ...(rules.alsoKnown ?? [])], what);
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const v = (given as Record<string, unknown>)[key];
    out[key] = v === undefined ? defaultOf(spec) : spec.check(v, key);
  }
  return out as ResolvedOptions<T>;
}

/** One line of help for an option: its text and its default. */
export function helpOf(spec: OptionSpec<unknown>): string {
  const plain = (v: unknown): string => (Array.isArray(v) ? (v.length ? v.join(',') : 'none') : String(v));
  const d = spec.defaultText ?? (typeof spec.default === 'function' || spec.default === undefined ? undefined : plain(spec.default));
  return d === undefined ? spec.help : `${spec.help} (default: ${d})`;
}
