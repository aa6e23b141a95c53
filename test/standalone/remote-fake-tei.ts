// A fake TEI server on loopback (node:http, no model): GET /info with the
// limits we choose, POST /predict answering TEI's batch shape with
// fakeScore, and a script that makes chosen requests fail (429, 503, a reset
// connection, a delay) so the remote client's retries can be tested.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeScore } from './server-fake.js';

export type Misbehaviour = { status: number; retryAfter?: string; body?: string } | { reset: true } | { delayMs: number };

export interface FakeTei {
  url: string;
  /** Every /predict request's pairs, in arrival order (whatever the answer). */
  requests: [string, string][][];
  /** Most /predict requests in flight at once. */
  maxInFlight: number;
  /** Answers for the next /predict requests, in order; when empty, requests succeed. */
  script: Misbehaviour[];
  /** Every /predict fails so (a server that refuses everything). */
  always?: Misbehaviour;
  close(): Promise<void>;
}

export interface FakeTeiOptions {
  /** What /info says (default 32, TEI's default). */
  maxClientBatchSize?: number;
  maxConcurrentRequests?: number;
  /** Requests with more pairs get 413, whatever /info says (default: maxClientBatchSize). */
  refuseAbove?: number;
  delayMs?: number;
  /** Listen on this port (default: a free one). */
  port?: number;
}

export async function startFakeTei(info: FakeTeiOptions = {}): Promise<FakeTei> {
  let inFlight = 0;
  const sockets = new Set<import('node:net').Socket>();
  const fake: FakeTei = {
    url: '',
    requests: [],
    maxInFlight: 0,
    script: [],
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/info') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          model_id: 'fake',
          max_client_batch_size: info.maxClientBatchSize ?? 32,
          max_concurrent_requests: info.maxConcurrentRequests ?? 512,
        }),
      );
      return;
    }
    if (req.method !== 'POST' || req.url !== '/predict') {
      res.statusCode = 404;
      res.end();
      return;
    }
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text) as { inputs: [string, string][]; raw_scores?: boolean };
    fake.requests.push(body.inputs);
    inFlight += 1;
    fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
    try {
      const m = fake.always ?? fake.script.shift();
      const delay = (m && 'delayMs' in m ? m.delayMs : 0) + (info.delayMs ?? 0);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (m && 'reset' in m) {
        req.socket.destroy();
        return;
      }
      if (m && 'status' in m) {
        res.statusCode = m.status;
        if (m.retryAfter !== undefined) res.setHeader('retry-after', m.retryAfter);
        res.setHeader('content-type', 'application/json');
        res.end(m.body ?? JSON.stringify({ error: `scripted ${m.status}`, error_type: 'Overloaded' }));
        return;
      }
      const limit = info.refuseAbove ?? info.maxClientBatchSize;
      if (limit !== undefined && body.inputs.length > limit) {
        res.statusCode = 413;
        res.end(JSON.stringify({ error: 'batch too large', error_type: 'Validation' }));
        return;
      }
      if (body.raw_scores !== true) throw new Error('the client must ask for raw scores');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body.inputs.map(([a, b]) => [{ score: fakeScore(a, b), label: 'LABEL_0' }])));
    } finally {
      inFlight -= 1;
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(info.port ?? 0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
