// The openai SDK through the booster: one live `cappy serve` (the built CLI,
// on loopback, a forged tiny model: random weights, not Cappy) in front of a
// fake OpenAI-compatible upstream on loopback (support/fake-openai.ts),
// with the upstream's own key from CAPPY_BOOST_UPSTREAM_KEY. The truth for
// "best" is the in-process Scorer on the same model applied to the
// documented rendering, written out here by hand: a lone user message is the
// instruction as it is; a tool call reads NAME(ARGUMENTS).
import OpenAI, { RateLimitError, UnprocessableEntityError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-openai.js';
import { startServe, stopServe, type ServeProcess } from '../../support/serving.js';
import { packageVersion } from '../support/package-version.js';

const UPSTREAM_KEY = 'sk-upstream-own';
const CLIENT_KEY = 'sk-client';
const instruction = 'What is the weather like in the capital of France today?';
const ask = { model: 'my-llm', messages: [{ role: 'user' as const, content: instruction }] };
const tools = [
  {
    type: 'function' as const,
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  },
];

let up: FakeUpstream;
let serve: ServeProcess;
let scorer: Scorer;
let client: OpenAI;

beforeAll(async () => {
  up = await startFakeUpstream();
  const dir = inject('tinyModelDir');
  serve = await startServe(['--model', `cappy=${dir}`, '--warmup-lengths', 'none', '--boost-upstream', up.url, '--boost-n', '3'], {
    ready: true,
    env: { CAPPY_BOOST_UPSTREAM_KEY: UPSTREAM_KEY },
  });
  scorer = await Scorer.load(dir);
  client = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
});

beforeEach(() => {
  up.chatChoices = undefined;
  up.failWith = undefined;
});

afterAll(async () => {
  if (serve) expect(await stopServe(serve)).toBe(0);
  await up?.close();
  await scorer?.dispose();
});

/** In-process scores of `texts` as answers to `instruction`. */
const scoresOf = async (texts: string[]) => Array.from(await scorer.scoreBatch(texts.map((t) => [instruction, t] as const)));
const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));

// Candidates: two text answers and one tool call; which wins depends on the
// (random) model, so the city is picked by in-process scores: one for which
// the tool call wins, one for which a text does.
const plain = ['It is sunny and 21 degrees in Paris.', 'I cannot look that up.'];
const call = (city: string) => ({
  id: `call_${city}`,
  type: 'function',
  function: { name: 'get_weather', arguments: JSON.stringify({ city }) },
});
const rendered = (city: string) => `get_weather(${JSON.stringify({ city })})`;
const mixed = (city: string) => () => [
  { index: 0, message: { role: 'assistant', content: plain[0] }, logprobs: null, finish_reason: 'stop' },
  { index: 1, message: { role: 'assistant', content: null, tool_calls: [call(city)] }, logprobs: null, finish_reason: 'tool_calls' },
  { index: 2, message: { role: 'assistant', content: plain[1] }, logprobs: null, finish_reason: 'stop' },
];
const CITIES = [
  'Paris',
  'Lyon',
  'Marseille',
  'Toulouse',
  'Nice',
  'Nantes',
  'Strasbourg',
  'Montpellier',
  'Bordeaux',
  'Lille',
  'Rennes',
  'Reims',
  'Le Havre',
  'Toulon',
  'Grenoble',
  'Dijon',
];
async function cityWhere(toolWins: boolean): Promise<string> {
  const scores = await scoresOf([...plain, ...CITIES.map(rendered)]);
  const i = CITIES.findIndex((_, k) => scores[2 + k] > Math.max(scores[0], scores[1]) === toolWins);
  expect(i, `no city for which the tool call ${toolWins ? 'wins' : 'loses'} on this forged model`).toBeGreaterThanOrEqual(0);
  return CITIES[i];
}

describe(`openai ${packageVersion('openai')} through the booster`, () => {
  it('chat.completions.create with n: the best candidates first, and only the upstream key goes upstream', async () => {
    const r = await client.chat.completions.create({ ...ask, n: 2, temperature: 0.9 });
    const req = up.requests.at(-1)!;
    expect(req.body).toMatchObject({ n: 3, stream: false, temperature: 0.9 });
    expect(req.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    const served = up.requests.length - 1;
    const texts = [0, 1, 2].map((k) => up.text(k, served));
    const scores = await scoresOf(texts);
    const order = scores
      .map((s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s)
      .map((x) => x.i);
    expect(r.choices.map((c) => c.message.content)).toEqual([texts[order[0]], texts[order[1]]]);
    const boost = (r as unknown as { cappy_boost: { candidates: { score: number }[] } }).cappy_boost;
    boost.candidates.forEach((c, i) => expect(c.score).toBeCloseTo(scores[i], 5));
  });

  it('a tool call that scores best comes back intact: content null, tool_calls, finish_reason tool_calls', async () => {
    const city = await cityWhere(true);
    up.chatChoices = mixed(city);
    const r = await client.chat.completions.create({ ...ask, tools });
    expect(up.requests.at(-1)!.body.tools).toEqual(tools);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(r.choices[0].message.content).toBeNull();
    expect(r.choices[0].message.tool_calls).toEqual([call(city)]);
    const scores = await scoresOf([plain[0], rendered(city), plain[1]]);
    expect(argmax(scores)).toBe(1);
    // Scored on its rendering, by the same model.
    const boost = (r as unknown as { cappy_boost: { candidates: { text: string; score: number }[] } }).cappy_boost;
    expect(boost.candidates[1].text).toBe(rendered(city));
    boost.candidates.forEach((c, i) => expect(c.score).toBeCloseTo(scores[i], 5));
  });

  it('a text answer that scores best wins over the tool call', async () => {
    const city = await cityWhere(false);
    up.chatChoices = mixed(city);
    const r = await client.chat.completions.create({ ...ask, tools });
    const scores = await scoresOf([plain[0], rendered(city), plain[1]]);
    expect(r.choices[0].message.content).toBe(plain[argmax(scores) === 0 ? 0 : 1]);
    expect(r.choices[0].finish_reason).toBe('stop');
  });

  it('streamed: the SDK reassembles the chosen tool call from the event stream', async () => {
    const city = await cityWhere(true);
    up.chatChoices = mixed(city);
    const stream = client.chat.completions.stream({ ...ask, tools, stream: true });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls).toMatchObject([
      { id: `call_${city}`, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city }) } },
    ]);
  });

  it('streamed text with n and include_usage: chunks per answer, then usage', async () => {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of await client.chat.completions.create({ ...ask, n: 2, stream: true, stream_options: { include_usage: true } }))
      chunks.push(c);
    const served = up.requests.length - 1;
    const texts = [0, 1, 2].map((k) => up.text(k, served));
    const scores = await scoresOf(texts);
    const order = scores
      .map((s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s)
      .map((x) => x.i);
    const content = (index: number) =>
      chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index).map((ch) => ch.delta.content ?? '')).join('');
    expect([content(0), content(1)]).toEqual([texts[order[0]], texts[order[1]]]);
    expect(chunks.find((c) => c.usage)?.usage).toMatchObject({ total_tokens: 25 });
  });

  it('completions.create: the prompt is the instruction', async () => {
    const r = await client.completions.create({ model: 'my-llm', prompt: instruction, max_tokens: 8 });
    const served = up.requests.length - 1;
    const texts = [0, 1, 2].map((k) => up.text(k, served));
    expect(r.choices[0].text).toBe(texts[argmax(await scoresOf(texts))]);
  });

  it('errors: an upstream 429 is a RateLimitError with Retry-After; a bad body an UnprocessableEntityError', async () => {
    up.failWith = { status: 429, body: JSON.stringify({ error: { message: 'slow down', type: 'requests' } }) };
    const limited = await client.chat.completions.create(ask).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toBe('1');
    up.failWith = undefined;
    const bad = await client.chat.completions.create({ ...ask, messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UnprocessableEntityError);
    expect(up.requests.every((r) => r.headers.authorization === `Bearer ${UPSTREAM_KEY}`)).toBe(true);
  });
});
