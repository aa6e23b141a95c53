// The server over real sockets on 127.0.0.1 with a fake scorer: a client
// that disconnects cancels its work, and drain() answers every accepted
// request in full while refusing new ones. Every wait is bounded.
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type CappyServer } from '../../lib/server/index.js';
import { FakeScorer, fakeScore } from './server-fake.js';

let servers: CappyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function listen(scorer: FakeScorer, opts: Parameters<typeof createServer>[1] = {}) {
  const app = createServer(scorer, opts);
  servers.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port };
}

interface Answer {
  status: number;
  body: string;
}

function send(port: number, path: string, body: unknown, type = 'application/json'): { req: ClientRequest; answer: Promise<Answer> } {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  let req!: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': type, 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
  return { req, answer };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('client disconnect', () => {
  it('aborts the pending scoring call through its signal', async () => {
    const scorer = new FakeScorer();
    scorer.delayMs = 10_000;
    const { app, port } = await listen(scorer);
    const { req, answer } = send(port, '/rerank', { query: 'q', texts: ['a', 'b'] });
    answer.catch(() => undefined);
    await until(() => scorer.started === 1);
    req.destroy();
    await until(() => scorer.aborted === 1);
    expect(scorer.inFlight).toBe(0);
    // Counted as a cancellation, not as a server failure.
    let metrics = '';
    await until(() => {
      void app.inject({ method: 'GET', url: '/metrics' }).then((r) => (metrics = r.body));
      return /te_request_failure\{method="rerank",model="fake-cappy",err="ABORTED"\} 1/.test(metrics);
    });
  });

  it('aborts a streaming job too', async () => {
    const scorer = new FakeScorer();
    scorer.delayMs = 10_000;
    const { port } = await listen(scorer);
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify([`q${i}`, 'a'])).join('\n');
    const { req, answer } = send(port, '/score/stream', lines, 'application/x-ndjson');
    answer.catch(() => undefined);
    await until(() => scorer.started === 1);
    req.destroy();
    await until(() => scorer.aborted === 1);
  });
});

describe('drain', () => {
  it('answers every accepted request in full, then refuses new connections', async () => {
    const scorer = new FakeScorer();
    scorer.delayMs = 150;
    const { app, port } = await listen(scorer);
    const n = 12;
    const sent = Array.from({ length: n }, (_, i) => send(port, '/score', { pairs: [[`q${i}`, `a${i}`]] }));
    await until(() => scorer.started === n);
    const drained = app.cappy.drain();
    expect(app.cappy.draining).toBe(true);
    const answers = await Promise.all(sent.map((s) => s.answer));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body)).toEqual({ scores: [fakeScore(`q${i}`, `a${i}`)] });
    });
    await drained;
    await expect(send(port, '/score', { pairs: [['x', 'y']] }).answer).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a request on a kept-alive connection during drain gets a 503, not a reset', async () => {
    const scorer = new FakeScorer();
    scorer.delayMs = 200;
    const { app } = await listen(scorer);
    const slow = app.inject({ method: 'POST', url: '/score', payload: { pairs: [['a', 'b']] } });
    await until(() => scorer.started === 1);
    const drained = app.cappy.drain();
    const late = await app.inject({ method: 'POST', url: '/score', payload: { pairs: [['a', 'b']] } });
    expect(late.statusCode).toBe(503);
    expect(late.json()).toMatchObject({ error_type: 'Unhealthy' });
    expect((await slow).statusCode).toBe(200);
    await drained;
  });
});
