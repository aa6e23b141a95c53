// The JS thread stays free while a long scoreBatch runs: tokenizing and
// inference happen on native threads, so a setInterval keeps ticking.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { makePairs } from '../support/pairs.js';

let scorer: Scorer;
beforeAll(async () => {
  scorer = await Scorer.load(inject('tinyModelDir'), { intraOpThreads: 1, tokenizerThreads: 1 });
});
afterAll(async () => scorer?.dispose());

it('a setInterval keeps ticking during a long scoreBatch', async () => {
  // Long pairs on a big batch: several hundred ms of native work.
  const pairs = makePairs(1500, 5, 400);
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 10);
  const start = performance.now();
  const scores = await scorer.scoreBatch(pairs);
  const elapsed = performance.now() - start;
  clearInterval(timer);

  expect(scores.length).toBe(pairs.length);
  expect(elapsed).toBeGreaterThan(250); // otherwise the test proves nothing
  let maxGap = ticks.length ? ticks[0] - start : elapsed;
  for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
  console.log(`liveness: scoreBatch took ${elapsed.toFixed(0)} ms, ${ticks.length} ticks, longest gap ${maxGap.toFixed(0)} ms`);
  // A blocked loop would show one gap as long as the whole call.
  expect(maxGap).toBeLessThan(Math.min(150, elapsed / 2));
  expect(ticks.length).toBeGreaterThan(elapsed / 10 / 3);
});
