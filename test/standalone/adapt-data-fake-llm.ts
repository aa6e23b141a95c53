// A fake OpenAI-compatible LLM on 127.0.0.1 for the adapt-data tests: POST
// /v1/chat/completions and /v1/completions answer `n` choices whose text
// depends on the prompt, the sampling settings and a running count, so every
// answer differs and a test can tell which request made it. It can answer
// 429 with Retry-After, 5xx or 400, drop the connection, or stall, for the
// next requests; every request it received is kept.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLlmRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type FakeFault = { kind: 'status'; status: number; retryAfter?: string; body?: string } | { kind: 'drop' } | { kind: 'stall' };

export interface FakeLlm {
  /** Base URL as OpenAI clients take it: http://127.0.0.1:PORT/v1. */
  url: string;
  requests: FakeLlmRequest[];
  /** Faults for the next requests, one each, in order. */
  faults: FakeFault[];
  /** Answer one choice whatever `n` asks (as llama.cpp's server does). */
  ignoresN: boolean;
  /** The text of one answer; `serial` counts answers over the server's life. */
  text: (prompt: string, body: Record<string, unknown>, serial: number) => string;
  close(): Promise<void>;
}

function promptOf(body: Record<string, unknown>): string {
  if (typeof body.prompt === 'string') return body.prompt;
  const messages = body.messages as { content?: unknown }[] | undefined;
  return String(messages?.at(-1)?.content ?? '');
}

export async function startFakeLlm(): Promise<FakeLlm> {
  let serial = 0;
  const stalled: (() => void)[] = [];
  const fake: FakeLlm = {
    url: '',
    requests: [],
    faults: [],
    ignoresN: false,
    text: (prompt, body, n) => `answer ${n} to ${prompt} at t=${String(body.temperature)}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of stalled) release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      const path = req.url ?? '';
      fake.requests.push({ path, headers: req.headers, body });
      const fault = fake.faults.shift();
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'stall') {
        stalled.push(() => res.destroy());
        return;
      }
      if (fault?.kind === 'status') {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res.writeHead(fault.status, headers);
        res.end(fault.body ?? JSON.stringify({ error: { message: `fake ${fault.status}`, type: 'fake' } }));
        return;
      }
      const n = fake.ignoresN ? 1 : typeof body.n === 'number' ? body.n : 1;
      const chat = path === '/v1/chat/completions';
      const prompt = promptOf(body);
      const choices = Array.from({ length: n }, (_, k) => {
        const text = fake.text(prompt, body, serial++);
        return chat
          ? { index: k, message: { role: 'assistant', content: text }, finish_reason: 'stop' }
          : { index: k, text, finish_reason: 'stop' };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `fake-${fake.requests.length}`,
          object: chat ? 'chat.completion' : 'text_completion',
          model: body.model,
          choices,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
