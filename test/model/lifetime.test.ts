// Exiting with work in flight must not crash: native workers may still be
// running ORT when the process tears down.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, inject, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

it('process.exit with a scoreBatch in flight exits cleanly', () => {
  const script = `
    import { Scorer } from 'cappy-engine';
    const s = await Scorer.load(${JSON.stringify(inject('tinyModelDir'))});
    const pairs = Array.from({ length: 5000 }, (_, i) => ['question ' + i, 'answer '.repeat(100)]);
    s.scoreBatch(pairs).catch(() => {});
    s.scoreBatch(pairs).catch(() => {});
    setTimeout(() => process.exit(0), 50);`;
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  }
});

it('a dropped scorer with work pending lets the process end on its own', () => {
  const script = `
    import { Scorer } from 'cappy-engine';
    const s = await Scorer.load(${JSON.stringify(inject('tinyModelDir'))});
    s.scoreBatch([['a', 'b']]).then((x) => console.log('scored', x.length));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe('scored 1');
});
