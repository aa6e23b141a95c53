// The HF hub client behind `cappy pull`: resolve URLs, resumable verified
// downloads, the cache layout, and resolveModelRef for Scorer.load.
export { resolveModelRef, parseRepoId, modelCacheDir, downloadCacheDir, hubEndpoint, resolveUrl, type RepoId } from './repo.js';
export { headFile, downloadFile, type RemoteFile, type DownloadOptions } from './download.js';
export { pullModel, TOKENIZER_FILES, type PullOptions, type PullResult, type PullEvents } from './pull.js';
