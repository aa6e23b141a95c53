// One byte per code point as a two-stage C table: stage 1 maps cp >> 8 to a
// block, stage 2 holds each distinct 256-byte block once. A lookup is two
// loads for every code point, and the tables stay small because most blocks
// repeat (all-letter CJK, unassigned planes...). Shared by the generators.
const MAX = 0x10ffff;

/** `${name}Stage1` (uint16, cp >> 8 -> block) and `${name}Stage2` (the blocks) as C source. */
export function stageTables(name, bytes) {
  const index = new Map();
  const blocks = [];
  const stage1 = [];
  for (let b = 0; b <= MAX >> 8; b++) {
    const block = bytes.subarray(b << 8, (b + 1) << 8);
    const key = Buffer.from(block).toString('latin1');
    let idx = index.get(key);
    if (idx === undefined) {
      idx = blocks.length;
      index.set(key, idx);
      blocks.push(block);
    }
    stage1.push(idx);
  }
  if (blocks.length > 65535) throw new Error(`${name}: too many distinct blocks`);
  const rows1 = [];
  for (let i = 0; i < stage1.length; i += 16) rows1.push('    ' + stage1.slice(i, i + 16).join(', ') + ',');
  return (
    `// ${name}Stage1: block number (cp >> 8) -> index into ${name}Stage2 (${blocks.length} distinct blocks).\n` +
    `static const uint16_t ${name}Stage1[${stage1.length}] = {\n${rows1.join('\n')}\n};\n` +
    `static const uint8_t ${name}Stage2[${blocks.length}][256] = {\n${blocks.map((blk) => '    {' + Array.from(blk).join(',') + '},').join('\n')}\n};\n`
  );
}
