// The `convert` and `pull` commands as registered on a commander program:
// flags, and the errors a user sees before any weights are read.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConvert } from '../../lib/cli/commands/convert.js';
import { registerPull } from '../../lib/cli/commands/pull.js';
import { InvalidInputError, ModelLoadError } from '../../lib/errors/index.js';
import { tinyRobertaConfig } from '../support/weight-writers.js';

function program(): Command {
  const p = new Command('cappy').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerConvert(p);
  registerPull(p);
  return p;
}

const run = (...args: string[]) => program().parseAsync(['node', 'cappy', ...args]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cappy-convert-cli-'));
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src', 'config.json'), JSON.stringify(tinyRobertaConfig()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cappy convert', () => {
  it('requires --out', async () => {
    await expect(run('convert', join(dir, 'src'))).rejects.toThrow(/--out/);
  });

  it('refuses --dtype values it does not know, and --optimize; fp16 and int8 pass the flag check', async () => {
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--dtype', 'int4')).rejects.toThrow(
      InvalidInputError,
    );
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--dtype', 'fp32,bf16')).rejects.toThrow(/bf16/);
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--optimize')).rejects.toThrow(/optimize/);
    // Accepted: the run gets as far as the source folder (no tokenizer.json yet).
    for (const d of ['fp16', 'int8', 'fp32,int8,fp16']) {
      await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--dtype', d)).rejects.toThrow(/no tokenizer\.json/);
    }
  });

  it('names what is missing from the source folder', async () => {
    await expect(run('convert', join(dir, 'nowhere'), '--out', join(dir, 'o'))).rejects.toThrow(ModelLoadError);
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'))).rejects.toThrow(/no tokenizer\.json/);
    await writeFile(join(dir, 'src', 'tokenizer.json'), '{}');
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'))).rejects.toThrow(/no weights in/);
  });
});

describe('cappy pull', () => {
  it('refuses something that is not owner/name', async () => {
    await expect(run('pull', '../etc/passwd')).rejects.toThrow(/not a hub repository id/);
  });
});
