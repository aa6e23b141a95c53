// Real text for benchmarks, built from files any Debian machine has (license
// texts, package READMEs), so every run of a bench scores the same pairs
// without a download. An instruction is a short passage; its response is the
// passage after it, so lengths vary the way real pairs do.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

function readText(path: string): string {
  try {
    const raw = readFileSync(path);
    return (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch {
    return '';
  }
}

function debianTexts(limitBytes: number): string[] {
  const texts: string[] = [];
  let total = 0;
  const add = (t: string) => {
    if (t.length > 200 && total < limitBytes) {
      texts.push(t);
      total += t.length;
    }
  };
  for (const f of readdirSync('/usr/share/common-licenses').sort()) {
    const p = join('/usr/share/common-licenses', f);
    if (statSync(p).isFile()) add(readText(p));
  }
  for (const pkg of readdirSync('/usr/share/doc').sort()) {
    const dir = join('/usr/share/doc', pkg);
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) if (/^README/i.test(n)) add(readText(join(dir, n)));
  }
  return texts;
}

/** Paragraphs of natural text, deterministic order. */
export function paragraphs(limitBytes = 4_000_000): string[] {
  return debianTexts(limitBytes)
    .flatMap((t) => t.split(/\n\s*\n/))
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length >= 40);
}

/** `count` (instruction, response) pairs from consecutive paragraphs. */
export function textPairs(count: number, offset = 0): [string, string][] {
  const paras = paragraphs();
  if (paras.length < 2) throw new Error('no text found under /usr/share/doc and /usr/share/common-licenses');
  const pairs: [string, string][] = [];
  for (let i = 0; pairs.length < count; i++) {
    const k = (offset + i * 7) % (paras.length - 1);
    // Instructions are short (a sentence or two), responses are whole paragraphs.
    const instruction = paras[k]
      .split(/(?<=[.?!])\s/)
      .slice(0, 2)
      .join(' ')
      .slice(0, 400);
    pairs.push([instruction, paras[k + 1]]);
  }
  return pairs;
}
