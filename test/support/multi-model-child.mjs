// Several scorers in one process, for test/model/multi-model.test.ts; prints
// one JSON line. argv[2]: JSON { models: [{ dir, dtype }], pairs, rounds }.
// Each model is loaded and scores the pairs before the next one is loaded
// ("alone"); then all score the same pairs at once, `rounds` times.
const input = JSON.parse(process.argv[2]);
const out = { alone: [], together: [] };
try {
  const { Scorer } = await import('cappy-engine');
  const scorers = [];
  for (const m of input.models) {
    const s = await Scorer.load(m.dir, { dtype: m.dtype, intraOpThreads: 2 });
    out.alone.push(Array.from(await s.scoreBatch(input.pairs)));
    scorers.push(s);
  }
  out.info = scorers.map((s) => ({ dtype: s.info.model.dtype, inputs: s.info.inputs.map((i) => i.name) }));
  for (let r = 0; r < input.rounds; r++) {
    out.together.push((await Promise.all(scorers.map((s) => s.scoreBatch(input.pairs)))).map((x) => Array.from(x)));
  }
  await Promise.all(scorers.map((s) => s.dispose()));
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e);
}
console.log(JSON.stringify(out));
