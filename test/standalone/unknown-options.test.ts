// A misspelled option key is refused, never ignored: every public entry point
// that takes an options object throws InvalidInputError (reason
// 'unknown_option') naming the key and the option it most likely meant. The
// checks run before any file, model or network is touched, so no model is needed.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors/index.js';
import { closestKey, editDistance } from '../../lib/options/spec.js';
import { RemoteScorer } from '../../lib/remote/index.js';
import { Scorer } from '../../lib/scorer/scorer.js';
import { cappyPlugin, createServer, ModelSet } from '../../lib/server/index.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';

const unknown = (key: string, meant: string) =>
  expect.objectContaining({
    name: 'InvalidInputError',
    code: 'INVALID_INPUT',
    reason: 'unknown_option',
    message: expect.stringContaining(`'${key}'; did you mean ${meant}?`),
  });

describe('closest key', () => {
  it('counts a swap of two neighbours as one edit (optimal string alignment)', () => {
    expect(editDistance('maxLenght', 'maxLength')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests a near key, a key in another case, and nothing for a far one', () => {
    const keys = ['maxLength', 'maxBatchSize', 'maxBatchTokens', 'truncation', 'device'];
    expect(closestKey('maxLenght', keys)).toBe('maxLength');
    expect(closestKey('maxlength', keys)).toBe('maxLength');
    expect(closestKey('maxBatchToken', keys)).toBe('maxBatchTokens');
    expect(closestKey('devcie', keys)).toBe('device');
    expect(closestKey('threads', keys)).toBeUndefined();
    // Short keys get at most one edit: 'dev' is not 'device'.
    expect(closestKey('dev', keys)).toBeUndefined();
  });
});

describe('unknown option keys', () => {
  it('Scorer.load', async () => {
    await expect(Scorer.load('/nonexistent/model', { maxLenght: 5 } as never)).rejects.toEqual(unknown('maxLenght', 'maxLength'));
    await expect(Scorer.load('/nonexistent/model', { intraOpTreads: 2 } as never)).rejects.toEqual(
      unknown('intraOpTreads', 'intraOpThreads'),
    );
    // Far from every key: the message lists them instead.
    await expect(Scorer.load('/nonexistent/model', { gpu: true } as never)).rejects.toThrow(
      /unknown option 'gpu' \(known: device, devices, deviceId,/,
    );
    // A key set to undefined is let through (spreads leave such keys).
    await expect(Scorer.load('/nonexistent/model', { notAnOption: undefined } as never)).rejects.toMatchObject({ code: 'MODEL_LOAD' });
  });

  it('Tokenizer.fromFile and Tokenizer.fromJSON, with the same maxLength check as the table', async () => {
    await expect(Tokenizer.fromFile('/nonexistent/tokenizer.json', { maxLenght: 8 } as never)).rejects.toEqual(
      unknown('maxLenght', 'maxLength'),
    );
    expect(() => Tokenizer.fromJSON('{}', { truncaton: 'only_first' } as never)).toThrow(unknown('truncaton', 'truncation'));
    expect(() => Tokenizer.fromJSON('{}', { maxLength: 0 })).toThrow(/maxLength must be an integer from 1 to 2147483647, got 0/);
    expect(() => Tokenizer.fromJSON('{}', { truncation: 'middle' as never })).toThrow(
      /truncation must be one of longest_first, only_first, only_second, got 'middle'/,
    );
  });

  it('RemoteScorer.connect (before any endpoint is asked)', async () => {
    await expect(RemoteScorer.connect(['http://127.0.0.1:9'], { remoteBatchSise: 8 } as never)).rejects.toEqual(
      unknown('remoteBatchSise', 'remoteBatchSize'),
    );
    await expect(RemoteScorer.connect(['http://127.0.0.1:9'], { truncat: true } as never)).rejects.toEqual(unknown('truncat', 'truncate'));
  });

  it('createServer and cappyPlugin (Fastify register options pass)', async () => {
    expect(() => createServer(new ModelSet(['m']), { maxClientBatchSise: 8 } as never)).toThrow(
      unknown('maxClientBatchSise', 'maxClientBatchSize'),
    );
    expect(() => createServer(new ModelSet(['m']), { loger: true } as never)).toThrow(unknown('loger', 'logger'));
    const host = Fastify();
    await host.register(cappyPlugin, { models: new ModelSet(['m']), prefix: '/cappy' });
    await host.ready();
    await host.close();
    const bad = Fastify();
    await expect(bad.register(cappyPlugin, { models: new ModelSet(['m']), apiKye: 'k' } as never)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await bad.close();
  });
});
