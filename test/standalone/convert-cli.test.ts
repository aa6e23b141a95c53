// The `convert`, `pull`, `forge` and `bench` commands as registered on a
// commander program: flags (from the option tables, CAPPY_* variables
// included), and the errors a user sees before any weights are read.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConvert } from '../../lib/cli/commands/convert.js';
import { registerPull } from '../../lib/cli/commands/pull.js';
import { ModelLoadError } from '../../lib/errors/index.js';
import { registerBench } from '../../lib/cli/commands/bench.js';
import { registerForge } from '../../lib/cli/commands/forge.js';
import { tinyRobertaConfig } from '../support/weight-writers.js';

function program(): Command {
  const p = new Command('cappy').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerConvert(p);
  registerPull(p);
  registerForge(p);
  registerBench(p);
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
    // The option table's check, as commander reports a bad flag value (the same words as from CAPPY_DTYPE).
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--dtype', 'int4')).rejects.toThrow(
      /--dtype must be one of fp32, fp16, int8, got 'int4'/,
    );
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--dtype', 'fp32,bf16')).rejects.toThrow(/got 'bf16'/);
    await expect(run('convert', join(dir, 'src'), '--out', join(dir, 'o'), '--from', 'onnx')).rejects.toThrow(
      /--from must be one of safetensors, pytorch, flax, got 'onnx'/,
    );
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

describe('flags checked by the option tables', () => {
  it('cappy forge: --preset, --seed and --dtype, and their variables', async () => {
    await expect(run('forge')).rejects.toThrow(/--out/);
    await expect(run('forge', '--out', join(dir, 'f'), '--preset', 'huge')).rejects.toThrow(
      /--preset must be one of tiny, small, base, large, bert-tiny, bert-minilm, got 'huge'/,
    );
    await expect(run('forge', '--out', join(dir, 'f'), '--seed', '1e3')).rejects.toThrow(
      /--seed must be an integer from 0 to 4294967295, got '1e3'/,
    );
    await expect(run('forge', '--out', join(dir, 'f'), '--dtype', 'fp32,int4')).rejects.toThrow(
      /--dtype must be one of fp32, fp16, int8, got 'int4'/,
    );
    process.env.CAPPY_SEED = '-1';
    try {
      await expect(run('forge', '--out', join(dir, 'f'))).rejects.toThrow(
        /from env 'CAPPY_SEED' is invalid. --seed must be an integer from 0 to 4294967295, got -1/,
      );
    } finally {
      delete process.env.CAPPY_SEED;
    }
  });

  it('cappy bench: the workload flags', async () => {
    await expect(run('bench', '--model', dir, '--pairs', '0')).rejects.toThrow(/--pairs must be an integer from 1/);
    await expect(run('bench', '--model', dir, '--warmup', 'x')).rejects.toThrow(/--warmup must be an integer from 0/);
    await expect(run('bench', '--model', dir, '--lengths', 'uniform')).rejects.toThrow(
      /--lengths must be 'lognormal' or 'fixed:N', got 'uniform'/,
    );
  });
});
