// The short libFuzzer run in CI: scripts/fuzz.sh builds the C++ tokenizer
// with ASan + UBSan into build-fuzz/ and fuzzes all 18 configurations
// (BPE, WordPiece, Unigram with Precompiled/Nmt, a charsmap taken from the
// input, a whole tokenizer.json taken from the input) for CAPPY_LIBFUZZER_SECONDS (default 20). Any crash, leak or
// sanitizer report fails it. Skipped, saying why, where clang++ is missing
// (libFuzzer is clang's); the long run is `npm run fuzz -- 600`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const hasClang = spawnSync('clang++', ['--version']).status === 0;
if (!hasClang) console.log('libfuzzer.test: clang++ not found, the short libFuzzer run is skipped');

describe.skipIf(!hasClang)('libFuzzer (ASan + UBSan) short run', () => {
  it('finds no crash, leak or sanitizer report', () => {
    const seconds = process.env.CAPPY_LIBFUZZER_SECONDS ?? '20';
    const r = spawnSync('bash', ['scripts/fuzz.sh', seconds], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const out = `${r.stdout}\n${r.stderr}`;
    const done = /Done (\d+) runs in (\d+) second/.exec(out);
    console.log(`libFuzzer: ${done ? `${done[1]} runs in ${done[2]} s` : 'no summary'}, exit ${r.status}`);
    if (r.status !== 0) console.log(out.slice(-4000));
    expect(r.status).toBe(0);
    expect(Number(done?.[1] ?? 0)).toBeGreaterThan(0);
  }, 900_000);
});
