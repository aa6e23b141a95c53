// One process holding cappy-engine and another ONNX Runtime user, loaded in
// the order asked, scoring the same pairs over interleaved rounds. Run by
// test/model/coexist.test.ts (one process per case, so one failure cannot
// hide another); prints one JSON line. Plain JavaScript on the built package
// (dist), since it runs outside vitest.
//
// argv[2]: JSON { dir, pairs: [a, b][], ids: number[][], order, rounds, ortNodeDir? }
//   order: 'ort-first' | 'cappy-first'          (onnxruntime-node's own API)
//          'tfjs-first' | 'cappy-first-tfjs'    (transformers.js' API)
//   ids:   the pairs' token ids from HF tokenizers, fed to onnxruntime-node
//   ortNodeDir: another onnxruntime-node package folder (default: the devDependency)
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';

const input = JSON.parse(process.argv[2]);
const require = createRequire(`${process.cwd()}/package.json`);
const out = { order: input.order, rounds: [], events: [] };

let other; // () => Promise<number[]>: the other runtime's logits for the pairs
async function loadOrtNode() {
  const ort = require(input.ortNodeDir ?? 'onnxruntime-node');
  out.otherVersion = `onnxruntime-node ${ort.env.versions?.common ?? '?'}`;
  const session = await ort.InferenceSession.create(`${input.dir}/onnx/model.onnx`, { intraOpNumThreads: 1 });
  const len = Math.max(...input.ids.map((r) => r.length));
  const ids = new BigInt64Array(input.ids.length * len).fill(1n); // RoBERTa's <pad>
  const mask = new BigInt64Array(input.ids.length * len);
  input.ids.forEach((r, i) => r.forEach((id, t) => ((ids[i * len + t] = BigInt(id)), (mask[i * len + t] = 1n))));
  other = async () => {
    const r = await session.run({
      input_ids: new ort.Tensor('int64', ids, [input.ids.length, len]),
      attention_mask: new ort.Tensor('int64', mask, [input.ids.length, len]),
    });
    return Array.from(r.logits.data);
  };
  out.events.push('onnxruntime-node loaded');
}

async function loadTransformers() {
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.localModelPath = dirname(input.dir);
  const name = basename(input.dir);
  const tokenizer = await tf.AutoTokenizer.from_pretrained(name);
  const model = await tf.AutoModelForSequenceClassification.from_pretrained(name, {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: 1 },
  });
  out.otherVersion = `transformers.js ${tf.env.version}`;
  other = async () => {
    const enc = tokenizer(
      input.pairs.map((p) => p[0]),
      { text_pair: input.pairs.map((p) => p[1]), padding: true },
    );
    const { logits } = await model(enc);
    return Array.from(logits.data);
  };
  out.events.push('transformers.js loaded');
}

let scorer;
async function loadCappy() {
  const { Scorer } = await import('cappy-engine');
  scorer = await Scorer.load(input.dir, { intraOpThreads: 1 });
  out.ort = scorer.info.ort;
  out.events.push('cappy-engine loaded');
}

try {
  const loadOther = input.order.includes('tfjs') ? loadTransformers : loadOrtNode;
  if (input.order.startsWith('cappy-first')) {
    await loadCappy();
    out.rounds.push({ cappy: Array.from(await scorer.scoreBatch(input.pairs)) }); // cappy ran before the other loaded
    await loadOther();
  } else {
    await loadOther();
    out.rounds.push({ other: await other() }); // the other ran before cappy loaded
    await loadCappy();
  }
  for (let r = 0; r < input.rounds; r++) {
    // Interleaved, and at once: both runtimes busy in the same moment.
    const [a, b] = await Promise.all([other(), scorer.scoreBatch(input.pairs)]);
    out.rounds.push({ other: a, cappy: Array.from(b) });
  }
  await scorer.dispose();
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e).split('\n')[0];
}
console.log(JSON.stringify(out));
