// The option tables: each entry becomes one flag and one CAPPY_* variable on
// every command that loads a model, a value from the command line or the
// environment goes through the same check as a library value, and defaults
// come from the table. No model needed: commander rejects bad values before
// any command runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../lib/cli/index.js';
import { InvalidInputError } from '../../lib/errors/index.js';
import { addOptions, readOptions } from '../../lib/options/commander.js';
import {
  checkInteger,
  envOf,
  flagOf,
  parseInteger,
  parseModelRef,
  REMOTE_OPTIONS,
  resolveOptions,
  SCORER_OPTIONS,
  SERVE_OPTIONS,
  SERVER_OPTIONS,
} from '../../lib/options/index.js';
import { resolveScorerOptions } from '../../lib/scorer/options.js';
import { resolveServerOptions } from '../../lib/server/types.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

/** Parses argv with the given table on a throwaway command; errors come back as text. */
function parse(table: Parameters<typeof addOptions>[1], argv: string[]) {
  const cmd = new Command('t').exitOverride();
  let err = '';
  cmd.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
  addOptions(cmd, table);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch {
    return { err, values: undefined };
  }
  return { err, values: readOptions(cmd, table) };
}

describe('names', () => {
  it('flag = key in kebab-case, env = CAPPY_ + flag in UPPER_SNAKE', () => {
    expect(flagOf('maxBatchTokens', SCORER_OPTIONS.maxBatchTokens)).toBe('max-batch-tokens');
    expect(envOf('max-batch-tokens')).toBe('CAPPY_MAX_BATCH_TOKENS');
    expect(envOf(flagOf('deviceId', SCORER_OPTIONS.deviceId))).toBe('CAPPY_DEVICE_ID');
    expect(envOf(flagOf('port', SERVE_OPTIONS.port))).toBe('CAPPY_PORT');
    expect(envOf(flagOf('model', SERVE_OPTIONS.model))).toBe('CAPPY_MODEL');
    expect(envOf(flagOf('apiKey', SERVE_OPTIONS.apiKey))).toBe('CAPPY_API_KEY');
  });

  it('docs/server.md lists every flag', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'server.md'), 'utf8');
    for (const [key, spec] of [...Object.entries(SERVE_OPTIONS), ...Object.entries(SCORER_OPTIONS)]) {
      expect(doc, `--${flagOf(key, spec)}`).toContain(`\`--${flagOf(key, spec)}`);
    }
  });

  it('no flag is declared twice across the tables', () => {
    const flags = [...Object.entries(SCORER_OPTIONS), ...Object.entries(SERVE_OPTIONS)].map(([k, s]) => flagOf(k, s));
    expect(new Set(flags).size).toBe(flags.length);
  });
});

describe('every command that loads a model takes every Scorer option', () => {
  const program = buildProgram();
  const byPath = (path: string[]) => path.reduce<Command>((c, name) => c.commands.find((x) => x.name() === name)!, program);
  it.each([[['serve']], [['score']], [['bench']], [['eval', 'mc']], [['eval', 'best-of-n']]])('%j', (path) => {
    const cmd = byPath(path);
    const long = new Set(cmd.options.map((o) => o.long));
    for (const [key, spec] of Object.entries(SCORER_OPTIONS)) {
      expect(long, `${path.join(' ')} --${flagOf(key, spec)}`).toContain(`--${flagOf(key, spec)}`);
    }
    expect(long).toContain('--model');
    expect(long).toContain('--device');
    expect(long).toContain('--device-id');
    const env = new Set(cmd.options.map((o) => o.envVar));
    expect(env).toContain('CAPPY_DEVICE_ID');
    expect(env).toContain('CAPPY_MAX_BATCH_TOKENS');
  });

  it('serve takes every server option too', () => {
    const long = new Set(byPath(['serve']).options.map((o) => o.long));
    for (const [key, spec] of Object.entries(SERVE_OPTIONS)) expect(long).toContain(`--${flagOf(key, spec)}`);
  });
});

describe('every flag of every command comes from an option table', () => {
  // A table entry is the only way a flag gets its CAPPY_* variable (toOption),
  // so a flag without one was declared by hand. `--no-X` is commander's
  // negation of a table's boolean `--X`, which has the variable.
  it('each has its CAPPY_* variable', () => {
    const handMade: string[] = [];
    const walk = (cmd: Command, path: string[]): void => {
      const long = new Set(cmd.options.map((o) => o.long));
      for (const o of cmd.options) {
        const negated = o.negate && long.has(o.long!.replace(/^--no-/, '--'));
        if (!o.envVar && !negated) handMade.push(`${path.join(' ')} ${o.long}`);
      }
      for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram(), []);
    expect(handMade).toEqual([]);
  });

  it("eval's --data is required, from the flag or CAPPY_DATA", () => {
    const bon = buildProgram()
      .commands.find((c) => c.name() === 'eval')!
      .commands.find((c) => c.name() === 'best-of-n')!;
    const data = bon.options.find((o) => o.long === '--data')!;
    expect([data.mandatory, data.envVar]).toEqual([true, 'CAPPY_DATA']);
  });
});

describe('values from the command line and the environment', () => {
  it('reads flags under the table keys, and only those given', () => {
    const { values } = parse(SCORER_OPTIONS, ['--device', 'cuda', '--device-id', '1', '--max-wait-ms', '0.5', '--io-binding']);
    expect(values).toEqual({ device: 'cuda', deviceId: 1, maxWaitMs: 0.5, ioBinding: true });
  });

  it('reads CAPPY_* variables; the command line wins over the environment', () => {
    process.env.CAPPY_MAX_BATCH_TOKENS = '4096';
    process.env.CAPPY_PINNED_BUFFERS = 'false';
    process.env.CAPPY_PROVIDER_OPTIONS = 'use_tf32=0, cudnn_conv_algo_search=HEURISTIC';
    process.env.CAPPY_DEVICE_ID = '2';
    const { values } = parse(SCORER_OPTIONS, ['--device-id', '3']);
    expect(values).toEqual({
      maxBatchTokens: 4096,
      pinnedBuffers: false,
      providerOptions: { use_tf32: '0', cudnn_conv_algo_search: 'HEURISTIC' },
      deviceId: 3,
    });
  });

  it('a list flag repeats and comma-separates; the env var comma-separates', () => {
    expect(parse(SERVE_OPTIONS, ['--model', 'a=/m/a', '--model', 'b=/m/b,/m/c']).values?.model).toEqual(['a=/m/a', 'b=/m/b', '/m/c']);
    process.env.CAPPY_MODEL = '/models/cappy';
    expect(parse(SERVE_OPTIONS, []).values?.model).toEqual(['/models/cappy']);
  });

  it.each([
    [['--max-batch-tokens', '0'], /--max-batch-tokens must be an integer from 1 to 2147483647, got 0/],
    [['--max-batch-tokens', '1e3'], /--max-batch-tokens must be an integer from 1 to 2147483647, got '1e3'/],
    [['--device', 'gpu'], /--device must be one of cpu, cuda, tensorrt, auto, got 'gpu'/],
    [['--max-wait-ms', '-1'], /--max-wait-ms must be a number of ms from 0 to 60000/],
    [['--io-binding', 'maybe'], /--io-binding must be true or false/],
    [['--provider-options', 'novalue'], /key=value/],
  ])('%j is refused with the check message', (argv, message) => {
    const { err, values } = parse(SCORER_OPTIONS, argv);
    expect(values).toBeUndefined();
    expect(err).toMatch(message);
  });

  it('a bad environment value is refused and names the variable', () => {
    process.env.CAPPY_PORT = 'eighty';
    const { err, values } = parse(SERVE_OPTIONS, []);
    expect(values).toBeUndefined();
    expect(err).toMatch(/from env 'CAPPY_PORT' is invalid/);
    expect(err).toMatch(/--port must be an integer from 0 to 65535/);
  });

  it('an empty API key is refused, not taken as "no auth"', () => {
    process.env.CAPPY_API_KEY = '';
    expect(parse(SERVE_OPTIONS, []).err).toMatch(/--api-key must not be empty/);
  });
});

describe('resolution and the one integer validator', () => {
  it('fills defaults from the table and checks library values with the same rules', () => {
    const o = resolveScorerOptions({ maxBatchTokens: 100 });
    expect(o).toMatchObject({ maxBatchTokens: 100, maxBatchSize: 64, device: 'cpu', planner: 'padding-aware', providerOptions: {} });
    expect(o.intraOpThreads).toBeGreaterThan(0);
    expect(() => resolveScorerOptions({ maxBatchTokens: 0 })).toThrow(/maxBatchTokens must be an integer from 1 to/);
    expect(() => resolveScorerOptions({ maxLength: 4 })).toThrow(/maxLength must be an integer from 5/);
    expect(() => resolveScorerOptions({ dtype: 'int8', onnxFile: 'x.onnx' })).toThrow(/not both/);
    expect(resolveServerOptions({})).toMatchObject({ maxClientBatchSize: 1024, requestTimeout: 300, streamChunkSize: 256 });
  });

  it('server options fail with a typed error, not a TypeError', () => {
    expect(() => resolveServerOptions({ maxClientBatchSize: 0 })).toThrow(InvalidInputError);
    expect(() => resolveServerOptions({ apiKey: '' })).toThrow(InvalidInputError);
    expect(() => resolveOptions(SERVER_OPTIONS, null as never)).toThrow(/must be an object/);
  });

  it('checkInteger and parseInteger agree', () => {
    expect(checkInteger('n', 5, 1, 10)).toBe(5);
    for (const bad of [0, 11, 1.5, '5', NaN, null]) expect(() => checkInteger('n', bad, 1, 10)).toThrow(InvalidInputError);
    expect(parseInteger('n', ' 7 ', 1, 10)).toBe(7);
    for (const bad of ['', '1e1', '0x5', '5.0', 'five'])
      expect(() => parseInteger('n', bad, 1, 10)).toThrow(/n must be an integer from 1 to 10/);
  });

  it('URL options (--endpoint, --boost-upstream) take http(s) base URLs only', () => {
    for (const spec of [REMOTE_OPTIONS.endpoint, SERVE_OPTIONS.boostUpstream]) {
      expect(spec.parse('http://127.0.0.1:8080', '--x')).toEqual(
        spec === REMOTE_OPTIONS.endpoint ? ['http://127.0.0.1:8080'] : 'http://127.0.0.1:8080',
      );
      for (const bad of ['ftp://h/x', 'localhost:8080', 'not a url'])
        expect(() => spec.parse(bad, '--x')).toThrow(/--x must be an http\(s\) URL/);
    }
  });

  it('a model is name=DIR or a bare DIR', () => {
    expect(parseModelRef('fast=/models/a', '--model')).toEqual({ name: 'fast', dir: '/models/a' });
    expect(parseModelRef('btan2/cappy-large', '--model')).toEqual({ name: undefined, dir: 'btan2/cappy-large' });
    expect(() => parseModelRef('fast=', '--model')).toThrow(/names no folder/);
    expect(() => parseModelRef('bad name=/m', '--model')).toThrow(/a model name is/);
  });
});
