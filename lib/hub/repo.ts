// HF repository ids and hub URLs. Where a repository's converted model sits
// in the cache (models/{owner}--{name}) and whether it is there is
// lib/model/cache.ts's; the raw downloads sit apart under hub/, keyed by
// commit, so a new revision never mixes files with an old one.
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import { cacheRoot, modelCacheDir, parseRepoId, repoFolderName, repoString, resolveModelRef, type RepoId } from '../model/cache.js';

export { modelCacheDir, parseRepoId, repoString, resolveModelRef, type RepoId };

export function requireRepoId(ref: string): RepoId {
  const id = parseRepoId(ref);
  if (!id) throw new InvalidInputError(`${JSON.stringify(ref)} is not a hub repository id (owner/name)`);
  return id;
}

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
}

/** {endpoint}/{repo}/resolve/{revision}/{file}, each segment escaped. */
export function resolveUrl(endpoint: string, id: RepoId, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${id.owner}/${id.name}/resolve/${encodeURIComponent(revision)}/${path}`;
}

export function apiRevisionUrl(endpoint: string, id: RepoId, revision: string): string {
  return `${endpoint}/api/models/${id.owner}/${id.name}/revision/${encodeURIComponent(revision)}`;
}

/** The raw downloaded files of one commit. */
export function downloadCacheDir(id: RepoId, commit: string, root: string = cacheRoot()): string {
  return join(root, 'hub', repoFolderName(id), commit);
}
