// `cappy pull`: the files a conversion needs from one hub commit, then the
// conversion into models/{owner}--{name}. Only one weights file is fetched
// (safetensors > pytorch_model.bin > flax_model.msgpack): Cappy's repository
// carries both a torch and a flax copy, and each is 1.4 GB.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelLoadError } from '../errors/index.js';
import { cacheRoot } from '../model/cache.js';
import { WEIGHT_FILES } from '../convert/checkpoint.js';
import { downloadFile, headFile, type RemoteFile } from './download.js';
import {
  apiRevisionUrl,
  downloadCacheDir,
  hubEndpoint,
  hubToken,
  modelCacheDir,
  repoString,
  requireRepoId,
  resolveUrl,
  type RepoId,
} from './repo.js';

/** Small files copied along when the repository has them. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'];

export interface PullEvents {
  onFileStart?(file: string, size: number | undefined): void;
  onFileProgress?(file: string, done: number, total: number | undefined): void;
  onFileDone?(file: string, fetched: number, cached: boolean): void;
  onMessage?(message: string): void;
}

export interface PullOptions extends PullEvents {
  revision?: string;
  /** Cache root (default CAPPY_HOME or ~/.cache/cappy). */
  cache?: string;
  env?: NodeJS.ProcessEnv;
  retries?: number;
  signal?: AbortSignal;
  /** Converts a downloaded folder; defaults to lib/convert's convertModel. */
  convert?: (srcDir: string, outDir: string) => Promise<void>;
}

export interface PullResult {
  repo: string;
  revision: string;
  commit: string;
  /** The raw downloaded files. */
  sourceDir: string;
  /** The converted model folder (what Scorer.load reads). */
  modelDir: string;
  files: string[];
}

interface Listing {
  commit: string | undefined;
  files: Set<string> | undefined;
}

/** The repository's files at a revision from the hub API, or undefined fields where a mirror lacks the API. */
async function listRepo(endpoint: string, id: RepoId, revision: string, token: string | undefined, signal?: AbortSignal) {
  const url = apiRevisionUrl(endpoint, id, revision);
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal });
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    throw new ModelLoadError(
      `${repoString(id)}@${revision}: the hub answered ${res.status} (no such repository or revision, or it is gated/private${token ? '' : ': set HF_TOKEN'})`,
      { reason: res.status === 404 ? 'hub_not_found' : 'hub_access_denied' },
    );
  }
  if (!res.ok) return { commit: undefined, files: undefined } satisfies Listing;
  const body = (await res.json()) as { sha?: unknown; siblings?: { rfilename?: unknown }[] };
  const files = new Set((body.siblings ?? []).map((s) => String(s.rfilename)));
  return { commit: typeof body.sha === 'string' ? body.sha : undefined, files } satisfies Listing;
}

export async function pullModel(ref: string, opts: PullOptions = {}): Promise<PullResult> {
  const env = opts.env ?? process.env;
  const id = requireRepoId(ref);
  const revision = opts.revision ?? 'main';
  const root = opts.cache ?? cacheRoot(env);
  const endpoint = hubEndpoint(env);
  const token = hubToken(env);
  const listing = await listRepo(endpoint, id, revision, token, opts.signal);
  // Pin every file to one commit so a push in the middle cannot mix versions.
  let commit = listing.commit;
  const heads = new Map<string, RemoteFile | undefined>();
  const head = async (file: string): Promise<RemoteFile | undefined> => {
    if (heads.has(file)) return heads.get(file);
    if (listing.files && !listing.files.has(file)) {
      heads.set(file, undefined);
      return undefined;
    }
    let info: RemoteFile | undefined;
    try {
      info = await headFile(resolveUrl(endpoint, id, commit ?? revision, file), { token, signal: opts.signal });
    } catch (e) {
      // Without the API's file list, a 404 on the file itself is how a mirror says it has none.
      if (!listing.files && e instanceof ModelLoadError && e.reason === 'hub_not_found') info = undefined;
      else throw e;
    }
    commit ??= info?.commit;
    heads.set(file, info);
    return info;
  };

  const absent = { reason: 'hub_not_found' } as const;
  if (!(await head('config.json'))) throw new ModelLoadError(`${repoString(id)} has no config.json`, absent);
  if (!(await head('tokenizer.json'))) {
    throw new ModelLoadError(`${repoString(id)} has no tokenizer.json, which the engine's tokenizer reads`, absent);
  }
  let weights: (typeof WEIGHT_FILES)[number] | undefined;
  for (const w of WEIGHT_FILES) {
    if (await head(w.file)) {
      weights = w;
      break;
    }
  }
  if (!weights) {
    throw new ModelLoadError(`${repoString(id)} has none of ${WEIGHT_FILES.map((w) => w.file).join(', ')}`, absent);
  }
  const pin = commit ?? revision;
  const sourceDir = downloadCacheDir(id, pin.replace(/[^A-Za-z0-9._-]/g, '_'), root);
  await mkdir(sourceDir, { recursive: true });

  const fetchOne = async (file: string): Promise<void> => {
    const info = await head(file);
    if (!info) throw new ModelLoadError(`${repoString(id)}@${pin} has no ${file}`, absent);
    const dest = join(sourceDir, file);
    if (existsSync(dest)) {
      opts.onFileDone?.(file, 0, true);
      return;
    }
    opts.onFileStart?.(file, info.size);
    const fetched = await downloadFile(info, dest, {
      token,
      retries: opts.retries,
      signal: opts.signal,
      onProgress: (done, total) => opts.onFileProgress?.(file, done, total),
    });
    opts.onFileDone?.(file, fetched, false);
  };

  const files = ['config.json'];
  for (const f of TOKENIZER_FILES) if (await head(f)) files.push(f);
  files.push(weights.file);
  for (const f of files) await fetchOne(f);
  if (weights.sharded) {
    const index = JSON.parse(await readFile(join(sourceDir, weights.file), 'utf8')) as { weight_map?: Record<string, string> };
    for (const shard of new Set(Object.values(index.weight_map ?? {}))) {
      files.push(shard);
      await fetchOne(shard);
    }
  }

  const modelDir = modelCacheDir(id, root);
  opts.onMessage?.(`converting ${weights.file} into ${modelDir}`);
  const convert = opts.convert ?? (await import('../convert/convert.js')).convertModelDir;
  // Convert beside the final folder and rename, so an interrupted conversion
  // never leaves a folder that resolveModelRef would trust.
  const tmp = `${modelDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await convert(sourceDir, tmp);
    const source = { repo: repoString(id), revision, commit: pin, weights: weights.file, endpoint, pulled_at: new Date().toISOString() };
    await writeFile(join(tmp, 'cappy-source.json'), `${JSON.stringify(source, null, 2)}\n`);
    await rm(modelDir, { recursive: true, force: true });
    await rename(tmp, modelDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { repo: repoString(id), revision, commit: pin, sourceDir, modelDir, files };
}
