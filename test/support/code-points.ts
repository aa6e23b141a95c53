// Every-code-point parity, cheap enough for a 2-core CI: contexts travel
// `group` to a string, joined by '\n' (a pre-token boundary no merge or
// WordPiece crosses), because HF's Node binding costs one JS object per
// encoding and 3M of them took over 5 minutes on a busy machine. A group that
// differs is re-checked one context at a time to name the code points.
// CAPPY_EXHAUSTIVE=1 checks every context on its own.
import { sameIds as same } from './same-ids.js';

export interface Packed {
  ids: Int32Array;
  offsets: ArrayLike<number>;
}
export interface CodePointContext {
  text: string;
  cp: number;
}
export type EncodeBoth = (texts: string[]) => Promise<[{ getIds(): number[] }[], Packed]>;

const defaultGroup = () => (process.env.CAPPY_EXHAUSTIVE === '1' ? 1 : 32);

/** Code points (as 'U+XXXX') whose contexts tokenize differently; adds to `bad`. */
export async function diffContexts(
  contexts: CodePointContext[],
  encodeBoth: EncodeBoth,
  bad: Set<string>,
  group = defaultGroup(),
): Promise<void> {
  const groups: CodePointContext[][] = [];
  for (let i = 0; i < contexts.length; i += group) groups.push(contexts.slice(i, i + group));
  const [want, got] = await encodeBoth(groups.map((g) => g.map((x) => x.text).join('\n')));
  const suspects: CodePointContext[] = [];
  groups.forEach((g, i) => {
    if (!same(want[i].getIds(), got.ids.subarray(got.offsets[i], got.offsets[i + 1]))) suspects.push(...g);
  });
  if (suspects.length === 0) return;
  const before = bad.size;
  const [w, o] = await encodeBoth(suspects.map((x) => x.text));
  suspects.forEach((x, i) => {
    if (!same(w[i].getIds(), o.ids.subarray(o.offsets[i], o.offsets[i + 1]))) bad.add('U+' + x.cp.toString(16).toUpperCase());
  });
  // A group can also differ only through the join: that is a difference too.
  if (bad.size === before) bad.add(`a joined group containing U+${suspects[0].cp.toString(16).toUpperCase()}`);
}
