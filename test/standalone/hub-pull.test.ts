// `cappy pull` against a fake hub on 127.0.0.1 (the real one is unreachable
// here): file choice, LFS sha256 and git sha1 checks, resume with Range after
// a broken download, refusal of corrupted bytes, HF_TOKEN, the cache layout
// and resolveModelRef. Conversion is stubbed here; the model tests run it.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile, headFile } from '../../lib/hub/download.js';
import { pullModel } from '../../lib/hub/pull.js';
import { modelCacheDir, parseRepoId, resolveModelRef, resolveUrl } from '../../lib/hub/repo.js';
import { CAPPY_LARGE_CACHE_NAME, findConvertedCappy } from '../../lib/model/default-model.js';
import { startFakeHub, type FakeHub } from './hub-fake.js';

const REPO = 'btan2/cappy-large';
const big = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return b;
};
const files = {
  'config.json': { data: Buffer.from('{"architectures":["RobertaForSequenceClassification"]}'), lfs: false },
  'tokenizer.json': { data: Buffer.from('{"model":{"type":"BPE"}}'), lfs: false },
  'vocab.json': { data: Buffer.from('{}'), lfs: false },
  'merges.txt': { data: Buffer.from('#version: 0.2\n'), lfs: false },
  'pytorch_model.bin': { data: big(300_000, 1), lfs: true },
  'flax_model.msgpack': { data: big(200_000, 2), lfs: true },
};

let hub: FakeHub;
let root: string;
let env: NodeJS.ProcessEnv;
let converted: string[];

/** Stands in for the converter: records the call and writes the files resolveModelRef looks for. */
async function stubConvert(src: string, out: string): Promise<void> {
  converted.push(src);
  await mkdir(join(out, 'onnx'), { recursive: true });
  await writeFile(join(out, 'onnx', 'model.onnx'), 'onnx');
  await copyFile(join(src, 'tokenizer.json'), join(out, 'tokenizer.json'));
}

beforeAll(async () => {
  hub = await startFakeHub(REPO, files);
});
afterAll(async () => {
  await hub.close();
});

let n = 0;
async function fresh(): Promise<void> {
  root = await mkdtemp(join(tmpdir(), `cappy-hub-${n++}-`));
  env = { HF_ENDPOINT: hub.endpoint, CAPPY_HOME: root };
  hub.requests.length = 0;
  hub.cutAfter = undefined;
  hub.corrupt = false;
  hub.ignoreRange = false;
  hub.token = undefined;
  hub.noApi = false;
  converted = [];
}
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('repository ids and URLs', () => {
  it('parses owner/name and refuses paths', () => {
    expect(parseRepoId('btan2/cappy-large')).toEqual({ owner: 'btan2', name: 'cappy-large' });
    for (const bad of ['cappy-large', './models/x', '../a/b', 'a/b/c', '/abs/path', 'a/..', 'a b/c']) {
      expect(parseRepoId(bad), bad).toBeUndefined();
    }
    expect(resolveUrl('https://huggingface.co', { owner: 'a', name: 'b' }, 'refs/pr/1', 'onnx/model.onnx')).toBe(
      'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/onnx/model.onnx',
    );
  });

  it('puts btan2/cappy-large where the default-model code looks for it', () => {
    expect(modelCacheDir({ owner: 'btan2', name: 'cappy-large' }, '/c')).toBe(join('/c', CAPPY_LARGE_CACHE_NAME));
  });

  it("counts a cached folder as pulled by the core's rule: an int8-only folder is one, a folder without tokenizer.json is not", async () => {
    await fresh();
    const dir = modelCacheDir({ owner: 'btan2', name: 'cappy-large' }, root);
    await mkdir(join(dir, 'onnx'), { recursive: true });
    await writeFile(join(dir, 'onnx', 'model_int8.onnx'), 'onnx');
    expect(resolveModelRef(REPO, env)).toBeUndefined(); // no tokenizer.json yet
    await writeFile(join(dir, 'tokenizer.json'), '{}');
    expect(resolveModelRef(REPO, env)).toBe(dir);
    expect(findConvertedCappy(env)).toBe(dir);
  });
});

describe('pull', () => {
  it('fetches config, tokenizer files and one weights file, verified, then converts into the cache', async () => {
    await fresh();
    expect(resolveModelRef(REPO, env)).toBeUndefined();
    const res = await pullModel(REPO, { env, convert: stubConvert });
    expect(res.commit).toBe(hub.commit);
    expect(res.files.sort()).toEqual(['config.json', 'merges.txt', 'pytorch_model.bin', 'tokenizer.json', 'vocab.json']);
    // The flax copy is not fetched when a torch one exists.
    expect(hub.requests.some((r) => r.url.includes('flax_model.msgpack') && r.method === 'GET')).toBe(false);
    // Every resolve URL is pinned to the commit the API reported.
    expect(hub.requests.filter((r) => r.url.includes('/resolve/')).every((r) => r.url.includes(hub.commit))).toBe(true);
    expect((await readFile(join(res.sourceDir, 'pytorch_model.bin'))).equals(files['pytorch_model.bin'].data)).toBe(true);
    expect(res.modelDir).toBe(join(root, CAPPY_LARGE_CACHE_NAME));
    expect(resolveModelRef(REPO, env)).toBe(res.modelDir);
    expect(resolveModelRef('btan2/other', env)).toBeUndefined();
    expect(resolveModelRef('./btan2/cappy-large', env)).toBeUndefined();
    const source = JSON.parse(await readFile(join(res.modelDir, 'cappy-source.json'), 'utf8'));
    expect(source).toMatchObject({ repo: REPO, commit: hub.commit, weights: 'pytorch_model.bin' });

    // A second pull reuses the verified files and only converts again.
    hub.requests.length = 0;
    await pullModel(REPO, { env, convert: stubConvert });
    expect(hub.requests.filter((r) => r.url.startsWith('/cdn/'))).toHaveLength(0);
    expect(converted).toHaveLength(2);
  });

  it('resumes an interrupted download with a Range request into the .part file', async () => {
    await fresh();
    hub.cutAfter = { bytes: 120_000, times: 1 };
    await expect(pullModel(REPO, { env, convert: stubConvert, retries: 0 })).rejects.toThrow(/broke off.*resume/);
    const part = join(root, 'hub', 'btan2--cappy-large', hub.commit, 'pytorch_model.bin.part');
    const partial = statSync(part).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(300_000);
    expect(resolveModelRef(REPO, env)).toBeUndefined();

    const res = await pullModel(REPO, { env, convert: stubConvert, retries: 0 });
    const cdn = hub.requests.filter((r) => r.url.startsWith('/cdn/') && r.method === 'GET');
    expect(cdn.at(-1)?.range).toBe(`bytes=${partial}-`);
    expect((await readFile(join(res.sourceDir, 'pytorch_model.bin'))).equals(files['pytorch_model.bin'].data)).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it('resumes by itself within one pull when retries are allowed', async () => {
    await fresh();
    hub.cutAfter = { bytes: 50_000, times: 2 };
    const res = await pullModel(REPO, { env, convert: stubConvert });
    const ranges = hub.requests.filter((r) => r.url.startsWith('/cdn/') && r.method === 'GET').map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect((await readFile(join(res.sourceDir, 'pytorch_model.bin'))).equals(files['pytorch_model.bin'].data)).toBe(true);
  });

  it('starts over when the server answers a resume with the whole file', async () => {
    await fresh();
    hub.cutAfter = { bytes: 120_000, times: 1 };
    await expect(pullModel(REPO, { env, convert: stubConvert, retries: 0 })).rejects.toThrow(/broke off/);
    hub.ignoreRange = true;
    const res = await pullModel(REPO, { env, convert: stubConvert, retries: 0 });
    expect((await readFile(join(res.sourceDir, 'pytorch_model.bin'))).equals(files['pytorch_model.bin'].data)).toBe(true);
  });

  it('verifies a complete .part left by a crash before its rename, without fetching it again', async () => {
    await fresh();
    const dir = join(root, 'hub', 'btan2--cappy-large', hub.commit);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'pytorch_model.bin.part'), files['pytorch_model.bin'].data);
    const res = await pullModel(REPO, { env, convert: stubConvert });
    expect(hub.requests.filter((r) => r.url.startsWith('/cdn/'))).toHaveLength(0);
    expect(existsSync(join(res.sourceDir, 'pytorch_model.bin'))).toBe(true);
  });

  it('refuses bytes whose sha256 differs from the hub, and keeps nothing of them', async () => {
    await fresh();
    hub.corrupt = true;
    await expect(pullModel(REPO, { env, convert: stubConvert })).rejects.toThrow(/checksum mismatch: sha256/);
    const dir = join(root, 'hub', 'btan2--cappy-large', hub.commit);
    expect(existsSync(join(dir, 'pytorch_model.bin'))).toBe(false);
    expect(existsSync(join(dir, 'pytorch_model.bin.part'))).toBe(false);
    expect(existsSync(join(root, CAPPY_LARGE_CACHE_NAME))).toBe(false);
    expect(converted).toHaveLength(0);
  });

  it('checks git files against their blob sha1 too', async () => {
    await fresh();
    const url = resolveUrl(hub.endpoint, { owner: 'btan2', name: 'cappy-large' }, 'main', 'config.json');
    const info = await headFile(url);
    const want = createHash('sha1').update(`blob ${files['config.json'].data.length}\0`).update(files['config.json'].data);
    expect(info.checksum).toEqual({ kind: 'git-sha1', hex: want.digest('hex') });
    const dest = join(root, 'config.json');
    await expect(downloadFile({ ...info, checksum: { kind: 'git-sha1', hex: '0'.repeat(40) } }, dest)).rejects.toThrow(
      /checksum mismatch: git-sha1/,
    );
    await downloadFile(info, dest);
    expect((await readFile(dest)).equals(files['config.json'].data)).toBe(true);
  });

  it("refuses to share a download with a live process, and takes over a dead one's lock", async () => {
    await fresh();
    const url = resolveUrl(hub.endpoint, { owner: 'btan2', name: 'cappy-large' }, 'main', 'config.json');
    const info = await headFile(url);
    const dest = join(root, 'config.json');
    await writeFile(`${dest}.lock`, String(process.pid));
    await expect(downloadFile(info, dest)).rejects.toThrow(new RegExp(`pid ${process.pid}\\) is downloading`));
    await writeFile(`${dest}.lock`, '2147483646'); // no such process
    await downloadFile(info, dest);
    expect(existsSync(`${dest}.lock`)).toBe(false);
    expect((await readFile(dest)).equals(files['config.json'].data)).toBe(true);
  });

  it('sends HF_TOKEN as a bearer token and explains a 401', async () => {
    await fresh();
    hub.token = 'hf_secret';
    await expect(pullModel(REPO, { env, convert: stubConvert })).rejects.toThrow(/401.*set HF_TOKEN/);
    await pullModel(REPO, { env: { ...env, HF_TOKEN: 'hf_secret' }, convert: stubConvert });
    const hubReqs = hub.requests.filter((r) => !r.url.startsWith('/cdn/'));
    expect(hubReqs.at(-1)?.authorization).toBe('Bearer hf_secret');
  });

  it('says so when the repository or a needed file is missing, with a reason to branch on', async () => {
    await fresh();
    await expect(pullModel('btan2/nope', { env, convert: stubConvert })).rejects.toThrow(/404/);
    await expect(pullModel('btan2/nope', { env, convert: stubConvert })).rejects.toMatchObject({
      code: 'MODEL_LOAD',
      reason: 'hub_not_found',
    });
    hub.token = 'hf_secret';
    await expect(pullModel(REPO, { env, convert: stubConvert })).rejects.toMatchObject({ code: 'MODEL_LOAD', reason: 'hub_access_denied' });
    await expect(pullModel('not a repo', { env, convert: stubConvert })).rejects.toThrow(/owner\/name/);
  });

  it("pulls from a mirror without the revision API: a file's 404 (reason hub_not_found) means the next weights file", async () => {
    await fresh();
    hub.noApi = true;
    const res = await pullModel(REPO, { env, convert: stubConvert });
    // No model.safetensors here: its HEAD answered 404 and pytorch_model.bin was taken.
    expect(res.files).toContain('pytorch_model.bin');
    expect(hub.requests.some((r) => r.method === 'HEAD' && r.url.endsWith('/model.safetensors'))).toBe(true);
    await expect(pullModel('btan2/nope', { env, convert: stubConvert })).rejects.toMatchObject({ reason: 'hub_not_found' });
  });

  it('honours --cache over CAPPY_HOME', async () => {
    await fresh();
    const other = join(root, 'elsewhere');
    const res = await pullModel(REPO, { env, cache: other, convert: stubConvert });
    expect(res.modelDir).toBe(join(other, CAPPY_LARGE_CACHE_NAME));
    expect(resolveModelRef(REPO, { CAPPY_HOME: other })).toBe(res.modelDir);
  });
});
