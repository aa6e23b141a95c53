// `cappy merge`: joins the part files of a sharded run into the output an
// unsharded run writes, byte for byte. Row k lives in part k mod N, so the
// merge is a round-robin over the parts; every part must be there, cut from
// the same input with the same count, and hold exactly its rows.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { MissingPartError, ShardError } from '../errors/index.js';
import { describeInput, findParts, partPath, readTrailer, sameInput, tempPathFor, type PartTrailer } from './part-file.js';

export interface MergeResult {
  output: string;
  parts: string[];
  rows: number;
  count: number;
}

/** Rows of the input that shard `index` of `count` holds. */
export function rowsOfShard(totalRows: number, index: number, count: number): number {
  return totalRows > index ? Math.floor((totalRows - index - 1) / count) + 1 : 0;
}

async function pickCount(output: string, expected: number | undefined): Promise<{ count: number; found: Map<number, string> }> {
  const byCount = await findParts(output);
  if (expected !== undefined) return { count: expected, found: byCount.get(expected) ?? new Map() };
  if (byCount.size === 0) {
    throw new MissingPartError([`${output}.part-*`], `no part files found for ${output} (expected ${output}.part-00000-of-NNNNN, ...)`);
  }
  if (byCount.size > 1) {
    const counts = [...byCount.keys()].sort((a, b) => a - b).join(', ');
    throw new ShardError(`part files of ${output} come from runs with different shard counts (${counts}); pass --shard-count to pick one`);
  }
  const [[count, found]] = [...byCount];
  return { count, found };
}

/** Checks every part and writes OUTPUT (through a temporary file, renamed when complete). */
export async function mergeParts(output: string, options: { shardCount?: number } = {}): Promise<MergeResult> {
  const { count, found } = await pickCount(output, options.shardCount);
  const parts = Array.from({ length: count }, (_, i) => partPath(output, { index: i, count }));
  const missing = parts.filter((_, i) => !found.has(i));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
    throw new MissingPartError(missing, `${missing.length} of ${count} part files missing: ${shown}`);
  }
  const trailers: PartTrailer[] = [];
  for (const [i, p] of parts.entries()) {
    const t = await readTrailer(p);
    if (t.shard !== i || t.count !== count) throw new ShardError(`${p} says it is shard ${t.shard}/${t.count}, not ${i}/${count}`);
    if (trailers.length > 0 && !sameInput(t.input, trailers[0].input)) {
      throw new ShardError(
        `parts of different inputs: ${parts[0]} was cut from (${describeInput(trailers[0].input)}), ${p} from (${describeInput(t.input)})`,
      );
    }
    const want = rowsOfShard(t.input.rows, i, count);
    if (t.rows !== want) throw new ShardError(`${p} holds ${t.rows} rows, shard ${i}/${count} of ${t.input.rows} rows has ${want}`);
    trailers.push(t);
  }
  const total = trailers[0]?.input.rows ?? 0;

  const temp = tempPathFor(output);
  const out = createWriteStream(temp);
  const readers = parts.map((p) => createInterface({ input: createReadStream(p), crlfDelay: Infinity }));
  const lines = readers.map((r) => r[Symbol.asyncIterator]());
  try {
    let text = '';
    for (let k = 0; k < total; k++) {
      const i = k % count;
      const next = await lines[i].next();
      // The trailer counted the rows, so a short part means it changed under us.
      if (next.done || !next.value.startsWith(`{"index":${k},`)) {
        throw new ShardError(
          `${parts[i]}: expected the row with index ${k}, got ${next.done ? 'the end of the file' : `'${next.value.slice(0, 60)}'`}`,
        );
      }
      text += next.value + '\n';
      if (text.length >= 1 << 16) {
        if (!out.write(text)) await once(out, 'drain');
        text = '';
      }
    }
    out.end(text);
    await once(out, 'finish');
    await rename(temp, output);
  } catch (e) {
    out.destroy();
    await rm(temp, { force: true });
    throw e;
  } finally {
    for (const r of readers) r.close();
  }
  return { output, parts, rows: total, count };
}
