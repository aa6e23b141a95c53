// SentencePiece precompiled_charsmap blobs built here, for tests: a
// darts-clone double-array trie of UTF-8 keys whose values are byte offsets
// of NUL-terminated replacements, laid out as
//   [u32 LE trie bytes][trie units, u32 LE][replacement strings].
// HF tokenizers reads the blob as the oracle, so the tests compare the engine
// with HF on the same bytes; buildNfkcCharsmap makes one shaped like the
// nmt_nfkc map real XLM-R files carry (NFKC of every code point, controls
// dropped, odd spaces made ' '), from Node's Unicode data.

interface TrieNode {
  children: Map<number, TrieNode>;
  value: number; // -1: no key ends here
}

const utf8 = new TextEncoder();

/** Offsets below 2^21 are stored as is; larger ones must be multiples of 256. */
function encodeOffset(offset: number): number {
  if (offset < 1 << 21) return offset << 10;
  if (offset % 256 !== 0 || offset >= 1 << 29) throw new Error(`charsmap: offset ${offset} cannot be encoded`);
  return ((offset >>> 8) << 10) | (1 << 9);
}

/**
 * Builds the blob for `entries` (key -> replacement; a key is text or raw bytes). Keys must be non-empty
 * and free of NUL (darts stops at NUL); a replacement may be empty (the key
 * is deleted).
 */
export function buildCharsmap(entries: Iterable<readonly [string | Uint8Array, string]>): Uint8Array {
  // Replacement strings, each once, NUL-terminated.
  const pool: number[] = [];
  const at = new Map<string, number>();
  const root: TrieNode = { children: new Map(), value: -1 };
  for (const [key, replacement] of entries) {
    // A key is bytes: usually a string's UTF-8, but a lone lead byte is a
    // valid key too (it prefixes every character that starts with it).
    const bytes = typeof key === 'string' ? utf8.encode(key) : key;
    if (bytes.length === 0 || bytes.includes(0)) throw new Error(`charsmap: key ${JSON.stringify(key)} must be non-empty without NUL`);
    let offset = at.get(replacement);
    if (offset === undefined) {
      offset = pool.length;
      at.set(replacement, offset);
      pool.push(...utf8.encode(replacement), 0);
    }
    let node = root;
    for (const b of bytes) {
      let next = node.children.get(b);
      if (!next) {
        next = { children: new Map(), value: -1 };
        node.children.set(b, next);
      }
      node = next;
    }
    node.value = offset;
  }

  // Place nodes breadth first. A node at `pos` with child base `base` keeps
  // each child with label c at base ^ c, and its leaf (when a key ends there)
  // at base ^ 0; the node's unit stores offset = pos ^ base.
  let units = new Uint32Array(1 << 12);
  let used = new Uint8Array(units.length);
  used[0] = 1; // the root
  let firstFree = 1;
  const bases = new Set<number>();
  const grow = (size: number) => {
    if (size <= units.length) return;
    let n = units.length;
    while (n < size) n *= 2;
    const u = new Uint32Array(n);
    u.set(units);
    const f = new Uint8Array(n);
    f.set(used);
    units = u;
    used = f;
  };
  const queue: { node: TrieNode; pos: number; label: number }[] = [{ node: root, pos: 0, label: 0 }];
  for (let q = 0; q < queue.length; q++) {
    const { node, pos, label } = queue[q];
    const labels = [...node.children.keys()].sort((a, b) => a - b);
    if (node.value >= 0) labels.unshift(0);
    let unit = label | (node.value >= 0 ? 1 << 8 : 0);
    if (labels.length > 0) {
      while (firstFree < used.length && used[firstFree]) firstFree++;
      let base = -1;
      for (let p = firstFree; ; p++) {
        grow(p + 512);
        if (used[p]) continue;
        const b = p ^ labels[0];
        const offset = pos ^ b;
        if (offset >= 1 << 21 && offset % 256 !== 0) continue;
        // Each base serves one parent only: the label check alone cannot
        // tell two parents' children apart when they share a base.
        if (bases.has(b)) continue;
        if (labels.every((c) => (b ^ c) !== 0 && !used[b ^ c])) {
          base = b;
          break;
        }
      }
      bases.add(base);
      for (const c of labels) used[base ^ c] = 1;
      unit = (unit | encodeOffset(pos ^ base)) >>> 0;
      if (node.value >= 0) units[base] = (node.value | 0x80000000) >>> 0;
      for (const [c, child] of node.children) queue.push({ node: child, pos: base ^ c, label: c });
    }
    units[pos] = unit >>> 0;
  }
  // Whole 256-unit blocks: a lookup of any byte from a placed node lands in
  // its base's block, so it must be inside the array (HF indexes unchecked).
  let size = used.length;
  while (size > 1 && !used[size - 1]) size--;
  size = Math.ceil(size / 256) * 256;
  const trieBytes = size * 4;
  const blob = new Uint8Array(4 + trieBytes + pool.length);
  const view = new DataView(blob.buffer);
  view.setUint32(0, trieBytes, true);
  for (let i = 0; i < size; i++) view.setUint32(4 + 4 * i, units[i], true);
  blob.set(pool, 4 + trieBytes);
  return blob;
}

export const charsmapBase64 = (blob: Uint8Array): string => Buffer.from(blob).toString('base64');

/**
 * An nmt_nfkc-shaped map from Node's Unicode data: every code point whose
 * NFKC differs from itself maps to its NFKC; the controls HF's Nmt drops map
 * to ''; the spaces it folds map to ' '. `extra` entries are added last and
 * win (multi-character keys, say).
 */
export function buildNfkcCharsmap(extra: readonly (readonly [string, string])[] = []): Uint8Array {
  const map = new Map<string, string>();
  for (let cp = 1; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    const n = c.normalize('NFKC');
    if (n !== c) map.set(c, n);
  }
  for (const cp of [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0b, 0x0e, 0x1f, 0x7f, 0x8f, 0x9f])
    map.set(String.fromCodePoint(cp), '');
  for (const cp of [0x09, 0x0a, 0x0c, 0x0d, 0x1680, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0xfeff, 0xfffd]) {
    map.set(String.fromCodePoint(cp), ' ');
  }
  for (const [k, v] of extra) map.set(k, v);
  return buildCharsmap(map);
}
