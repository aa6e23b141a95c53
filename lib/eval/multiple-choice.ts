// Multiple-choice accuracy the way the Cappy paper scores PromptSource: every
// candidate of a group is scored, the argmax is the prediction, and a group is
// right when its argmax candidate is gold. Datasets are averaged unweighted.
import { InvalidInputError } from '../errors/index.js';

export interface McRow {
  group: string;
  instruction: string;
  response: string;
  /** Truthy for the gold candidate(s). */
  label: boolean;
  dataset: string;
}

export interface McResult {
  datasets: { dataset: string; groups: number; correct: number; accuracy: number }[];
  /** Unweighted mean of the per-dataset accuracies. */
  average: number;
  groups: number;
  rows: number;
}

/** Parses one JSONL row: {group, instruction, response, label, dataset?}. */
export function parseMcRow(value: unknown, where: string): McRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: expected an object {group, instruction, response, label}`);
  }
  const o = value as Record<string, unknown>;
  const group = typeof o.group === 'number' ? String(o.group) : o.group;
  if (typeof group !== 'string') throw new InvalidInputError(`${where}: group must be a string or number`);
  if (typeof o.instruction !== 'string') throw new InvalidInputError(`${where}: instruction must be a string`);
  if (typeof o.response !== 'string') throw new InvalidInputError(`${where}: response must be a string`);
  if (typeof o.label !== 'number' && typeof o.label !== 'boolean') {
    throw new InvalidInputError(`${where}: label must be a number or boolean (1/true for the gold candidate)`);
  }
  const dataset = o.dataset === undefined ? 'all' : String(o.dataset);
  return { group, instruction: o.instruction, response: o.response, label: Boolean(o.label), dataset };
}

/** Scores rows must be aligned with `rows`. Groups are keyed by (dataset, group). */
export function multipleChoiceAccuracy(rows: McRow[], scores: Float32Array): McResult {
  if (rows.length !== scores.length) throw new InvalidInputError('one score per row is needed');
  const best = new Map<string, { dataset: string; score: number; label: boolean }>();
  rows.forEach((r, i) => {
    const key = JSON.stringify([r.dataset, r.group]);
    const cur = best.get(key);
    // Strictly greater: the first candidate wins ties, as argmax does.
    if (!cur || scores[i] > cur.score) best.set(key, { dataset: r.dataset, score: scores[i], label: r.label });
  });
  const per = new Map<string, { groups: number; correct: number }>();
  for (const g of best.values()) {
    const d = per.get(g.dataset) ?? { groups: 0, correct: 0 };
    d.groups += 1;
    if (g.label) d.correct += 1;
    per.set(g.dataset, d);
  }
  const datasets = [...per.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dataset, d]) => ({ dataset, ...d, accuracy: d.correct / d.groups }));
  const average = datasets.length ? datasets.reduce((s, d) => s + d.accuracy, 0) / datasets.length : 0;
  return { datasets, average, groups: best.size, rows: rows.length };
}
