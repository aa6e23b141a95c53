// A fake OpenAI-compatible LLM server on 127.0.0.1, for the boost tests and
// bench: POST /v1/chat/completions and /v1/completions answer deterministic
// candidates, honouring `n` or ignoring it (as llama.cpp's server does), and
// can fail, stall or delay on demand. Every request it received is kept.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpstreamRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeUpstream {
  /** Base URL as OpenAI clients take it: http://127.0.0.1:PORT/v1. */
  url: string;
  requests: FakeUpstreamRequest[];
  /** Answer one choice whatever `n` asks. */
  ignoresN: boolean;
  /** Answer this status and body (and headers) instead of candidates. */
  failWith?: { status: number; body: string; headers?: Record<string, string> };
  /** Chat choices of its own for request r (else `text` candidates): e.g. tool calls. */
  chatChoices?: (n: number, r: number) => Record<string, unknown>[];
  /** Wait this long before answering, ms. */
  delayMs: number;
  /** The text of candidate k of request r (both from 0). */
  text: (k: number, r: number) => string;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  let served = 0;
  const fake: FakeUpstream = {
    url: '',
    requests: [],
    ignoresN: false,
    delayMs: 0,
    text: (k, r) => `candidate ${k} of request ${r}: ${'so '.repeat((k * 7 + r * 3) % 11)}the answer`,
    close: () =>
      new Promise<void>((resolve) => {
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
      const r = served++;
      const answer = () => {
        if (fake.failWith) {
          res.writeHead(fake.failWith.status, { 'content-type': 'application/json', 'x-fake': 'upstream', ...fake.failWith.headers });
          res.end(fake.failWith.body);
          return;
        }
        const n = fake.ignoresN ? 1 : typeof body.n === 'number' ? body.n : 1;
        const chat = path === '/v1/chat/completions';
        const choices =
          chat && fake.chatChoices
            ? fake.chatChoices(n, r)
            : Array.from({ length: n }, (_, k) =>
                chat
                  ? {
                      index: k,
                      message: { role: 'assistant', content: fake.text(k, r) },
                      logprobs: null,
                      finish_reason: k % 2 ? 'length' : 'stop',
                    }
                  : { index: k, text: fake.text(k, r), logprobs: null, finish_reason: 'stop' },
              );
        const answer = {
          id: `fake-${r}`,
          object: chat ? 'chat.completion' : 'text_completion',
          created: 1_700_000_000 + r,
          model: String(body.model ?? 'fake-llm'),
          system_fingerprint: 'fp_fake',
          choices,
          usage: { prompt_tokens: 10, completion_tokens: 5 * n, total_tokens: 10 + 5 * n },
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      if (fake.delayMs > 0) setTimeout(answer, fake.delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
