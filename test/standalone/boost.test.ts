// Boosting an LLM: the server in front of a fake OpenAI-compatible upstream on
// 127.0.0.1, scoring with a fake scorer whose scores are a known function of
// (instruction, text). The truth for "best" is that function applied to the
// documented rendering of the prompt, computed here independently.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderChat } from '../../lib/boost/render.js';
import { createServer, ModelSet, type CappyServer } from '../../lib/server/index.js';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-openai.js';
import { FakeScorer, fakeScore } from './server-fake.js';

let up: FakeUpstream;
let servers: CappyServer[] = [];
beforeEach(async () => {
  up = await startFakeUpstream();
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  await up.close();
});

function boosted(opts: Parameters<typeof createServer>[1] = {}, scorer = new FakeScorer()) {
  const app = createServer(scorer, { boostUpstream: up.url, boostN: 4, ...opts });
  servers.push(app);
  return { app, scorer };
}

const post = (app: CappyServer, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

/** Index of the best text for `instruction` by the fake scorer (first on ties). */
function best(instruction: string, texts: string[]): number {
  let b = 0;
  texts.forEach((t, i) => {
    if (fakeScore(instruction, t) > fakeScore(instruction, texts[b])) b = i;
  });
  return b;
}

const chat = { model: 'my-llm', messages: [{ role: 'user', content: 'Name a prime number.' }], temperature: 0.9 };

describe('chat completions', () => {
  it('asks for N with `n`, answers the best candidate in the upstream shape, every score in cappy_boost', async () => {
    const { app } = boosted();
    const r = await post(app, '/v1/chat/completions', chat);
    expect(r.statusCode).toBe(200);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0].body).toMatchObject({ model: 'my-llm', n: 4, stream: false, temperature: 0.9, messages: chat.messages });
    const texts = [0, 1, 2, 3].map((k) => up.text(k, 0));
    const b = best('Name a prime number.', texts);
    const body = r.json();
    expect(body).toMatchObject({
      id: 'fake-0',
      object: 'chat.completion',
      model: 'my-llm',
      system_fingerprint: 'fp_fake',
      usage: { total_tokens: 30 },
    });
    expect(body.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: texts[b] }, logprobs: null, finish_reason: b % 2 ? 'length' : 'stop' },
    ]);
    expect(body.cappy_boost).toMatchObject({ scorer: 'fake-cappy', rendering: 'cappy-chat-v1', n: 4, mode: 'n', upstream_requests: 1 });
    expect(body.cappy_boost.candidates).toEqual(
      texts.map((text, index) => ({
        index,
        score: fakeScore('Name a prime number.', text),
        chosen: index === b ? 0 : null,
        finish_reason: index % 2 ? 'length' : 'stop',
        text,
      })),
    );
    expect(r.headers['x-upstream-time']).toMatch(/^\d+$/);
    expect(r.headers['x-compute-time']).toMatch(/^\d+$/);
  });

  it('a conversation is rendered as documented (Role: text, blank lines), and the client n returns the top n', async () => {
    const { app } = boosted();
    const messages = [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is 2+2?' },
          { type: 'image_url', image_url: { url: 'x' } },
        ],
      },
      { role: 'assistant', content: '4.' },
      { role: 'user', content: 'And 3+3?' },
    ];
    const instruction = 'System: Be brief.\n\nUser: What is 2+2?\n\nAssistant: 4.\n\nUser: And 3+3?';
    expect(renderChat(messages)).toBe(instruction);
    const body = (await post(app, '/v1/chat/completions', { messages, n: 2 })).json();
    const texts = [0, 1, 2, 3].map((k) => up.text(k, 0));
    const order = texts.map((t, i) => ({ i, s: fakeScore(instruction, t) })).sort((a, b) => b.s - a.s || a.i - b.i);
    expect(body.choices.map((c: { index: number; message: { content: string } }) => [c.index, c.message.content])).toEqual([
      [0, texts[order[0].i]],
      [1, texts[order[1].i]],
    ]);
    expect(up.requests[0].body.n).toBe(4);
  });

  it('an upstream that ignores n: the rest come from parallel requests, and later requests go parallel at once', async () => {
    up.ignoresN = true;
    const { app } = boosted();
    const first = (await post(app, '/v1/chat/completions', chat)).json();
    expect(up.requests.map((q) => q.body.n)).toEqual([4, undefined, undefined, undefined]);
    expect(first.cappy_boost).toMatchObject({ mode: 'parallel', upstream_requests: 4 });
    // Candidate k came from request k; usage adds up over the four requests.
    const texts = [0, 1, 2, 3].map((r) => up.text(0, r));
    expect(first.cappy_boost.candidates.map((c: { text: string }) => c.text)).toEqual(texts);
    expect(first.choices[0].message.content).toBe(texts[best('Name a prime number.', texts)]);
    expect(first.usage).toEqual({ prompt_tokens: 40, completion_tokens: 20, total_tokens: 60 });
    await post(app, '/v1/chat/completions', chat);
    expect(up.requests.slice(4).map((q) => q.body.n)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('--boost-mode parallel never sends n; a request may ask for its own N with cappy_boost.n (not sent upstream)', async () => {
    const { app } = boosted({ boostMode: 'parallel' });
    const body = (await post(app, '/v1/chat/completions', { ...chat, cappy_boost: { n: 3 } })).json();
    expect(up.requests).toHaveLength(3);
    for (const q of up.requests) {
      expect(q.body.n).toBeUndefined();
      expect(q.body.cappy_boost).toBeUndefined();
    }
    expect(body.cappy_boost.candidates).toHaveLength(3);
  });

  it('identical candidates are scored once', async () => {
    up.text = () => 'the same answer';
    const { app, scorer } = boosted();
    const body = (await post(app, '/v1/chat/completions', chat)).json();
    expect(scorer.callSizes).toEqual([1]);
    expect(body.cappy_boost.candidates.map((c: { score: number }) => c.score)).toEqual(
      Array(4).fill(fakeScore('Name a prime number.', 'the same answer')),
    );
    expect(body.choices[0].message.content).toBe('the same answer');
  });
});

describe('completions', () => {
  it('the prompt is the instruction; choices carry text', async () => {
    const { app } = boosted();
    const r = await post(app, '/v1/completions', { model: 'my-llm', prompt: 'The capital of France is', max_tokens: 5 });
    expect(r.statusCode).toBe(200);
    expect(up.requests[0].path).toBe('/v1/completions');
    const texts = [0, 1, 2, 3].map((k) => up.text(k, 0));
    const body = r.json();
    expect(body.object).toBe('text_completion');
    expect(body.choices).toEqual([
      { index: 0, text: texts[best('The capital of France is', texts)], logprobs: null, finish_reason: 'stop' },
    ]);
    expect(body.cappy_boost.rendering).toBe('cappy-prompt-v1');
    expect((await post(app, '/v1/completions', { prompt: ['a', 'b'] })).statusCode).toBe(422);
  });
});

describe('tool calls', () => {
  // The documented rendering of a tool-call candidate, written out here by hand: NAME(ARGUMENTS).
  const call = (id: string, city: string) => ({ id, type: 'function', function: { name: 'get_weather', arguments: `{"city":"${city}"}` } });
  const rendered = (city: string) => `get_weather({"city":"${city}"})`;
  const instruction = 'What is the weather in the capital of France?';
  const ask = {
    model: 'my-llm',
    messages: [{ role: 'user', content: instruction }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
  };
  const plain = ['It is sunny.', 'I cannot check the weather.'];
  // A city for which the fake scorer ranks the tool call above both text answers, and one for which it does not.
  const cities = ['Paris', 'Lyon', 'Nice', 'Lille', 'Metz', 'Brest', 'Dijon', 'Tours', 'Caen', 'Reims'];
  const wins = cities.find((c) => plain.every((t) => fakeScore(instruction, rendered(c)) > fakeScore(instruction, t)))!;
  const loses = cities.find((c) => plain.some((t) => fakeScore(instruction, rendered(c)) < fakeScore(instruction, t)))!;
  const mixed = (city: string) => () => [
    { index: 0, message: { role: 'assistant', content: plain[0] }, logprobs: null, finish_reason: 'stop' },
    {
      index: 1,
      message: { role: 'assistant', content: null, tool_calls: [call('call_1', city)] },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
    { index: 2, message: { role: 'assistant', content: plain[1] }, logprobs: null, finish_reason: 'stop' },
  ];

  it('a tool-call candidate is scored on its rendering and, when best, returned with its tool_calls intact', async () => {
    expect(wins).toBeDefined();
    up.chatChoices = mixed(wins);
    const { app } = boosted({ boostN: 3 });
    const body = (await post(app, '/v1/chat/completions', ask)).json();
    expect(up.requests[0].body.tools).toEqual(ask.tools); // tools pass through upstream
    expect(body.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, tool_calls: [call('call_1', wins)] },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
    expect(body.cappy_boost.candidates.map((c: { text: string; score: number }) => [c.text, c.score])).toEqual([
      [plain[0], fakeScore(instruction, plain[0])],
      [rendered(wins), fakeScore(instruction, rendered(wins))],
      [plain[1], fakeScore(instruction, plain[1])],
    ]);
  });

  it('a text answer still wins when it scores higher; content and tool calls together are one text', async () => {
    expect(loses).toBeDefined();
    up.chatChoices = mixed(loses);
    const { app } = boosted({ boostN: 3 });
    const body = (await post(app, '/v1/chat/completions', ask)).json();
    expect(body.choices[0].finish_reason).toBe('stop');
    up.chatChoices = () => [
      {
        index: 0,
        message: { role: 'assistant', content: 'Let me check.', tool_calls: [call('a', 'Paris'), call('b', 'Lyon')] },
        finish_reason: 'tool_calls',
      },
    ];
    const both = (await post(app, '/v1/chat/completions', { ...ask, cappy_boost: { n: 1 } })).json();
    expect(both.cappy_boost.candidates[0].text).toBe(`Let me check.\n${rendered('Paris')}\n${rendered('Lyon')}`);
  });

  it('streamed, the chosen tool call arrives as delta.tool_calls with indices, then finish_reason tool_calls', async () => {
    up.chatChoices = mixed(wins);
    const { app } = boosted({ boostN: 3 });
    const text = (await post(app, '/v1/chat/completions', { ...ask, stream: true })).body;
    const ev = text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''))
      .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
    expect(ev[0].choices[0].delta).toEqual({ role: 'assistant', content: null, tool_calls: [{ index: 0, ...call('call_1', wins) }] });
    expect(ev[1].choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
  });

  it('assistant turns with tool calls and tool results are part of the rendered prompt', () => {
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [call('c1', 'Paris')] },
      { role: 'tool', tool_call_id: 'c1', content: '18 C, sunny' },
    ];
    expect(renderChat(messages)).toBe(`User: Weather in Paris?\n\nAssistant: ${rendered('Paris')}\n\nTool: 18 C, sunny`);
  });
});

describe('stream: true', () => {
  const events = (text: string) =>
    text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''))
      .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));

  it('is answered as an event stream of the chosen answer, after the choice is made', async () => {
    const { app } = boosted();
    const r = await post(app, '/v1/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(up.requests[0].body.stream).toBe(false);
    expect(up.requests[0].body.stream_options).toBeUndefined();
    const ev = events(r.body);
    const texts = [0, 1, 2, 3].map((k) => up.text(k, 0));
    const b = best('Name a prime number.', texts);
    expect(ev[0]).toMatchObject({
      id: 'fake-0',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: texts[b] }, finish_reason: null }],
    });
    expect(ev[1]).toMatchObject({ choices: [{ index: 0, delta: {}, finish_reason: b % 2 ? 'length' : 'stop' }] });
    expect(ev[2]).toMatchObject({ choices: [], usage: { total_tokens: 30 } });
    expect(ev[3]).toMatchObject({ choices: [], cappy_boost: { n: 4 } });
    expect(ev[4]).toBe('[DONE]');
    expect(ev).toHaveLength(5);
  });

  it('completions stream too', async () => {
    const { app } = boosted();
    const ev = events((await post(app, '/v1/completions', { prompt: 'Say hi', stream: true })).body);
    expect(ev[0]).toMatchObject({ object: 'text_completion', choices: [{ index: 0, finish_reason: null }] });
    expect(ev.at(-1)).toBe('[DONE]');
  });
});

describe('failures', () => {
  it('an upstream error passes through with its status and body', async () => {
    up.failWith = { status: 429, body: JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests' } }) };
    const { app, scorer } = boosted();
    const r = await post(app, '/v1/chat/completions', chat);
    expect(r.statusCode).toBe(429);
    expect(r.json()).toEqual({ error: { message: 'Rate limit reached', type: 'requests' } });
    expect(scorer.started).toBe(0);
    // Every 429 carries Retry-After: the upstream's own when it sends one, else 1.
    expect(r.headers['retry-after']).toBe('1');
    up.failWith = { ...up.failWith, headers: { 'retry-after': '17' } };
    expect((await post(app, '/v1/chat/completions', chat)).headers['retry-after']).toBe('17');
    up.failWith = { status: 400, body: '{"error":{"message":"n must be 1"}}' };
    expect((await post(app, '/v1/chat/completions', chat)).statusCode).toBe(400);
  });

  it('an upstream that does not answer in time is a 504; one that cannot be reached a 502', async () => {
    up.delayMs = 5_000;
    const { app } = boosted({ boostTimeout: 0.2 });
    const slow = await post(app, '/v1/chat/completions', chat);
    expect(slow.statusCode).toBe(504);
    expect(slow.json()).toMatchObject({ error: { type: 'upstream_timeout', message: expect.stringMatching(/within 0.2 s/) } });
    const dead = createServer(new FakeScorer(), { boostUpstream: 'http://127.0.0.1:9/v1' });
    servers.push(dead);
    const r = await post(dead, '/v1/chat/completions', chat);
    expect(r.statusCode).toBe(502);
    expect(r.json()).toMatchObject({ error: { type: 'upstream_unreachable' } });
  });

  it("a bad request is a 422 in OpenAI's error shape, before the upstream is asked", async () => {
    const { app } = boosted();
    for (const body of [
      {},
      { messages: [] },
      { messages: [{ role: 'user', content: [{ type: 'image_url' }] }] },
      { messages: chat.messages, n: 0 },
      { messages: chat.messages, stream: 'yes' },
    ]) {
      const r = await post(app, '/v1/chat/completions', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(422);
      expect(r.json()).toEqual({ error: { message: expect.any(String), type: 'Validation', code: 'INVALID_REQUEST', param: null } });
    }
    expect(up.requests).toHaveLength(0);
  });

  it('while the scoring model loads, boosted requests get 503 without asking the upstream', async () => {
    const app = createServer(new ModelSet(['m']), { boostUpstream: up.url });
    servers.push(app);
    const r = await post(app, '/v1/chat/completions', chat);
    expect(r.statusCode).toBe(503);
    expect(r.json().error.type).toBe('Unhealthy');
    expect(up.requests).toHaveLength(0);
  });

  it('--boost-model must name a served model', () => {
    expect(() => createServer(new FakeScorer(), { boostUpstream: up.url, boostModel: 'nope' })).toThrow(
      /boostModel 'nope' is not among the models/,
    );
  });
});

describe('keys', () => {
  it("--boost-upstream-key goes upstream; the server's own key never does", async () => {
    const { app } = boosted({ apiKey: 'mine', boostUpstreamKey: 'theirs' });
    expect((await post(app, '/v1/chat/completions', chat)).statusCode).toBe(401);
    expect((await post(app, '/v1/chat/completions', chat)).json().error.code).toBe('UNAUTHORIZED');
    expect((await post(app, '/v1/chat/completions', chat, { authorization: 'Bearer mine' })).statusCode).toBe(200);
    expect(up.requests[0].headers.authorization).toBe('Bearer theirs');
    const noUpstreamKey = boosted({ apiKey: 'mine' }).app;
    await post(noUpstreamKey, '/v1/chat/completions', chat, { authorization: 'Bearer mine' });
    expect(up.requests[1].headers.authorization).toBeUndefined();
  });

  it("without a server key, the client's Authorization header goes upstream as it came", async () => {
    const { app } = boosted();
    await post(app, '/v1/chat/completions', chat, { authorization: 'Bearer sk-client' });
    expect(up.requests[0].headers.authorization).toBe('Bearer sk-client');
  });

  it("--boost-upstream-key replaces the client's Authorization even when the server checks no key", async () => {
    const { app } = boosted({ boostUpstreamKey: 'sk-operator' });
    await post(app, '/v1/chat/completions', chat, { authorization: 'Bearer sk-client' });
    expect(up.requests[0].headers.authorization).toBe('Bearer sk-operator');
  });
});

describe('metrics', () => {
  it('boosted requests are counted under the scoring model', async () => {
    const { app } = boosted();
    await post(app, '/v1/chat/completions', chat);
    up.failWith = { status: 500, body: '{}' };
    await post(app, '/v1/completions', { prompt: 'x' });
    const m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(m).toMatch(/^te_request_success\{method="chat_completions",model="fake-cappy"\} 1$/m);
    expect(m).toMatch(/^te_request_failure\{method="completions",model="fake-cappy",err="UPSTREAM_500"\} 1$/m);
  });
});
