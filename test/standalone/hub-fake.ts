// A local stand-in for the HF hub on 127.0.0.1, speaking the parts of its
// protocol `cappy pull` uses: the revision API, HEAD/GET on resolve URLs
// (LFS files answer 302 to a "CDN" path with X-Linked-Etag/X-Linked-Size,
// git files answer 200 with their blob sha1 as ETag), and Range on the CDN.
// Faults are switchable per test: cut a download short, corrupt the bytes,
// require a token.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubFile {
  data: Buffer;
  lfs: boolean;
}

export interface FakeHubRequest {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

export interface FakeHub {
  endpoint: string;
  commit: string;
  requests: FakeHubRequest[];
  /** Cut the next N CDN responses after this many bytes. */
  cutAfter: { bytes: number; times: number } | undefined;
  /** Serve these bytes for LFS content while still announcing the real sha256. */
  corrupt: boolean;
  /** Answer Range requests with the whole file (200), as some servers do. */
  ignoreRange: boolean;
  /** When set, every request must carry `Bearer <token>`. */
  token: string | undefined;
  /** Answer the revision API with 501, as a mirror without it does: files are then found by HEAD alone. */
  noApi: boolean;
  close(): Promise<void>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export async function startFakeHub(repo: string, files: Record<string, FakeHubFile>): Promise<FakeHub> {
  const commit = createHash('sha1').update(repo).digest('hex');
  const byHash = new Map<string, FakeHubFile>();
  for (const f of Object.values(files)) if (f.lfs) byHash.set(sha256(f.data), f);

  const hub: FakeHub = {
    endpoint: '',
    commit,
    requests: [],
    cutAfter: undefined,
    corrupt: false,
    ignoreRange: false,
    token: undefined,
    noApi: false,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        // fetch keeps connections alive; do not wait out their idle timeout.
        server.closeAllConnections();
      }),
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = decodeURI(req.url ?? '/');
    hub.requests.push({
      method: req.method ?? 'GET',
      url,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    if (hub.token && req.headers.authorization !== `Bearer ${hub.token}` && !url.startsWith('/cdn/')) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url);
    if (api) {
      if (hub.noApi) return void res.writeHead(501).end();
      if (api[1] !== repo) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: repo, sha: commit, siblings: Object.keys(files).map((rfilename) => ({ rfilename })) }));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    if (resolve) {
      const f = files[resolve[3]];
      if (resolve[1] !== repo || !f || (resolve[2] !== 'main' && resolve[2] !== commit)) {
        return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end();
      }
      if (f.lfs) {
        const hash = sha256(f.data);
        res.writeHead(302, {
          location: `${hub.endpoint}/cdn/${hash}`,
          'x-linked-etag': `"${hash}"`,
          'x-linked-size': String(f.data.length),
          'x-repo-commit': commit,
          etag: `"${gitSha1(Buffer.from('pointer'))}"`,
        });
        return void res.end();
      }
      res.writeHead(200, {
        etag: `"${gitSha1(f.data)}"`,
        'content-length': String(f.data.length),
        'x-repo-commit': commit,
      });
      return void res.end(req.method === 'HEAD' ? undefined : f.data);
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url);
    if (cdn && byHash.has(cdn[1])) return serveCdn(req, res, byHash.get(cdn[1]) as FakeHubFile);
    res.writeHead(404).end();
  };

  const serveCdn = (req: IncomingMessage, res: ServerResponse, f: FakeHubFile) => {
    let data = f.data;
    if (hub.corrupt) {
      data = Buffer.from(data);
      data[data.length >> 1] ^= 0xff;
    }
    let start = 0;
    const m = hub.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= data.length) return void res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
      res.writeHead(206, {
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
        'content-length': String(data.length - start),
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'content-length': String(data.length), 'accept-ranges': 'bytes' });
    }
    if (req.method === 'HEAD') return void res.end();
    const body = data.subarray(start);
    if (hub.cutAfter && hub.cutAfter.times > 0) {
      hub.cutAfter.times--;
      // Send part of the body and drop the connection, as a flaky network does.
      res.write(body.subarray(0, hub.cutAfter.bytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  hub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}
