// A worker thread holding its own Scorer, driven by messages from
// test/support/workers-main.mjs. Plain JavaScript on the built package.
import { parentPort, workerData } from 'node:worker_threads';

const { Scorer } = await import('cappy-engine');
const scorer = await Scorer.load(workerData.dir, { intraOpThreads: 1, tokenizerThreads: 1 });
parentPort.postMessage({ kind: 'loaded' });

parentPort.on('message', async (m) => {
  try {
    if (m.kind === 'score') {
      parentPort.postMessage({ kind: 'started' });
      const t = performance.now();
      const scores = await scorer.scoreBatch(m.pairs);
      parentPort.postMessage({
        kind: 'scores',
        scores: Array.from(scores.subarray(0, m.keep ?? scores.length)),
        ms: performance.now() - t,
      });
    } else if (m.kind === 'dispose') {
      await scorer.dispose();
      parentPort.postMessage({ kind: 'disposed' });
    } else if (m.kind === 'end') {
      // Leave without disposing: the env's teardown must release the scorer.
      parentPort.close();
    }
  } catch (e) {
    parentPort.postMessage({ kind: 'error', message: String(e?.message ?? e) });
  }
});
