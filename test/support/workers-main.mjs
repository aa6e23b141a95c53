// worker_threads scenarios for test/model/workers.test.ts, one per process
// (argv[2]: JSON { scenario, dir, pairs, lifetimes? }); prints one JSON line.
//   concurrent  4 workers load and score at the same moment
//   terminate   4 workers start a long call; 2 are terminated mid-call; the
//               other 2 finish; then a fresh worker loads and scores
//   lifetimes   N workers one after another, ending three ways in turn:
//               dispose then leave, terminate() mid-call, leave undisposed;
//               RSS after each
//   exit        process.exit(0) while 2 workers have calls in flight
import { Worker } from 'node:worker_threads';

const input = JSON.parse(process.argv[2]);
const script = new URL('./workers-worker.mjs', import.meta.url);
const out = { scenario: input.scenario };

function spawn() {
  const w = new Worker(script, { workerData: { dir: input.dir } });
  w.errors = [];
  w.on('error', (e) => w.errors.push(String(e?.message ?? e)));
  return w;
}
/** The next message of `kind` from `w` (rejects on the worker's error or exit). */
function next(w, kind) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.kind === kind || m.kind === 'error') {
        cleanup();
        if (m.kind === 'error') reject(new Error(m.message));
        else resolve(m);
      }
    };
    const onExit = (code) => (cleanup(), reject(new Error(`worker exited (${code}) waiting for ${kind}: ${w.errors.join('; ')}`)));
    const cleanup = () => (w.off('message', onMessage), w.off('exit', onExit));
    w.on('message', onMessage);
    w.on('exit', onExit);
  });
}
function score(w, pairs, keep) {
  const done = next(w, 'scores');
  w.postMessage({ kind: 'score', pairs, keep });
  return done;
}
const exited = (w) => new Promise((resolve) => w.once('exit', resolve));
/** The pairs, then filler: a call long enough to be in flight when terminated. */
const long = (n) => [...input.pairs, ...Array.from({ length: n }, (_, i) => [`question ${i} about rivers`, 'a long answer '.repeat(60)])];
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

try {
  if (input.scenario === 'concurrent') {
    const ws = Array.from({ length: 4 }, spawn);
    await Promise.all(ws.map((w) => next(w, 'loaded')));
    out.scores = (await Promise.all(ws.map((w) => score(w, input.pairs)))).map((m) => m.scores);
    await Promise.all(ws.map((w) => (w.postMessage({ kind: 'end' }), exited(w))));
  } else if (input.scenario === 'terminate') {
    const ws = Array.from({ length: 4 }, spawn);
    await Promise.all(ws.map((w) => next(w, 'loaded')));
    const started = ws.map((w) => next(w, 'started'));
    const calls = ws.map((w) => score(w, long(1500), input.pairs.length));
    calls.slice(0, 2).forEach((c) => c.catch(() => {})); // those workers are terminated: no answer comes
    await Promise.all(started);
    await new Promise((r) => setTimeout(r, 200)); // well inside the calls
    const t = performance.now();
    const survivors = calls.slice(2).map((c) => c.then((m) => ({ ...m, at: performance.now() - t })));
    await Promise.all([ws[0].terminate(), ws[1].terminate()]);
    out.terminateMs = performance.now() - t;
    const rest = await Promise.all(survivors);
    out.survivorDoneMs = rest.map((m) => m.at);
    out.scores = rest.map((m) => m.scores);
    await Promise.all(ws.slice(2).map((w) => (w.postMessage({ kind: 'end' }), exited(w))));
    const fresh = spawn(); // the addon still serves a new env
    await next(fresh, 'loaded');
    out.scores.push((await score(fresh, input.pairs)).scores);
    await fresh.terminate();
  } else if (input.scenario === 'lifetimes') {
    out.rssMb = [];
    out.scores = [];
    for (let i = 0; i < input.lifetimes; i++) {
      const w = spawn();
      await next(w, 'loaded');
      out.scores.push((await score(w, input.pairs)).scores);
      const end = exited(w);
      if (i % 3 === 0) {
        await (w.postMessage({ kind: 'dispose' }), next(w, 'disposed'));
        w.postMessage({ kind: 'end' });
      } else if (i % 3 === 1) {
        const started = next(w, 'started');
        w.postMessage({ kind: 'score', pairs: long(150) });
        await started;
        await w.terminate();
      } else {
        w.postMessage({ kind: 'end' });
      }
      await end;
      out.rssMb.push(rssMb());
    }
  } else if (input.scenario === 'exit') {
    const ws = Array.from({ length: 2 }, spawn);
    await Promise.all(ws.map((w) => next(w, 'loaded')));
    const started = ws.map((w) => next(w, 'started'));
    ws.forEach((w) => w.postMessage({ kind: 'score', pairs: long(1500) }));
    await Promise.all(started);
    console.log(JSON.stringify({ ...out, ok: true }));
    process.exit(0);
  }
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e);
}
console.log(JSON.stringify(out));
