// Deterministic instruction/response pairs for model tests: short and long,
// ASCII and not, so batches mix lengths and truncation bites on some.
import { seededRandom as mulberry32 } from '../../lib/util/seeded-random.js';

export { mulberry32 };

const WORDS = (
  'the model scores each candidate answer and picks the best one for a question about planets rivers ' +
  "code review français naïve café 東京 数据 😀 résumé function(x) { return x * 2; } 1234 ²³ don't I'M"
).split(' ');

export function makePairs(count: number, seed = 1, maxWords = 120): [string, string][] {
  const rand = mulberry32(seed);
  const text = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const pairs: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    // Every 17th pair is long enough that 512-token truncation applies.
    const long = i % 17 === 0;
    pairs.push([text(1 + Math.floor(rand() * (long ? 600 : 30))), text(1 + Math.floor(rand() * (long ? 700 : maxWords)))]);
  }
  return pairs;
}
