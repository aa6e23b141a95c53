// A deterministic tokenizer-bench corpus of mixed prose, code and CJK, built
// from text inside the npm packages this repo already installs (pinned by
// package-lock.json), so every machine that ran `npm ci` builds the same bytes
// without a download:
//   prose: every Markdown file under node_modules, in sorted path order;
//   CJK and other scripts: TypeScript's localized diagnostic messages
//     (ja, ko, zh-cn, zh-tw, ru, de, ...);
//   code: TypeScript's lib.*.d.ts files and package JavaScript.
// The text is cut at line ends into items of about 1-4 KB, the size of a
// reranker passage, so a batch has many items of varied length.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', 'node_modules');

/** Files under dir whose name passes `want`, depth-first in sorted order. */
function walk(dir: string, want: (name: string) => boolean, out: string[] = [], depth = 0): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (depth < 8 && name !== '.cache' && name !== '.bin') walk(p, want, out, depth + 1);
    } else if (st.isFile() && want(name)) {
      out.push(p);
    }
  }
  return out;
}

/** Appends files' text until `limit` UTF-8 bytes are taken from this source. */
function take(paths: string[], limit: number, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const texts: string[] = [];
  let total = 0;
  for (const p of paths) {
    if (total >= limit) break;
    let t = read(p);
    const bytes = Buffer.byteLength(t);
    if (bytes < 200) continue;
    if (total + bytes > limit)
      t = Buffer.from(t)
        .subarray(0, limit - total)
        .toString('utf8');
    texts.push(t);
    total += Buffer.byteLength(t);
  }
  return texts;
}

function diagnosticMessages(p: string): string {
  const messages = JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>;
  return Object.values(messages).join('\n');
}

/** Cuts text at line ends into items of 1-4 KB (sizes vary by a fixed pattern). */
function chunk(text: string, out: string[]): void {
  const lines = text.split('\n');
  let cur = '';
  let target = 1024;
  for (const line of lines) {
    cur += line + '\n';
    if (cur.length >= target) {
      out.push(cur);
      cur = '';
      target = 1024 + ((out.length * 2654435761) % 3072);
    }
  }
  if (cur.length > 0) out.push(cur);
}

export interface TokenizeCorpus {
  items: string[];
  bytes: number;
  /** sha256 of the items joined: two runs compare only when this matches. */
  digest: string;
  parts: { prose: number; multilingual: number; code: number };
}

/** About `megabytes` MB of mixed text (default 6: the bench needs at least 5). */
export function tokenizeCorpus(megabytes = 6): TokenizeCorpus {
  const budget = Math.floor(megabytes * 1024 * 1024);
  const prose = take(
    walk(ROOT, (n) => /\.md$/i.test(n)),
    Math.floor(budget * 0.4),
  );
  const tsLib = join(ROOT, 'typescript', 'lib');
  const langs = ['ja', 'ko', 'zh-cn', 'zh-tw', 'ru', 'de', 'fr', 'es', 'pl', 'tr', 'cs', 'it', 'pt-br'];
  const multilingual = take(
    langs.map((l) => join(tsLib, l, 'diagnosticMessages.generated.json')),
    Math.floor(budget * 0.3),
    diagnosticMessages,
  );
  const codeFiles = [
    ...walk(tsLib, (n) => /^lib\..*\.d\.ts$/.test(n)),
    ...walk(join(ROOT, 'fastify'), (n) => n.endsWith('.js')),
    ...walk(join(ROOT, 'commander'), (n) => n.endsWith('.js')),
  ];
  const used = [prose, multilingual].flat().reduce((a, t) => a + Buffer.byteLength(t), 0);
  const code = take(codeFiles, budget - used);
  const items: string[] = [];
  for (const t of [...prose, ...multilingual, ...code]) chunk(t, items);
  const size = (xs: string[]) => xs.reduce((a, t) => a + Buffer.byteLength(t), 0);
  const hash = createHash('sha256');
  for (const it of items) hash.update(it);
  return {
    items,
    bytes: size(items),
    digest: hash.digest('hex').slice(0, 16),
    parts: { prose: size(prose), multilingual: size(multilingual), code: size(code) },
  };
}
