// The environment as `cappy doctor` reports it: every variable the engine
// reads (lib/options/environment.ts) and every flag's CAPPY_* twin (from the
// commands themselves), each with its value when set (a secret only as
// "set"), its default and what it means; plus CAPPY_* variables that are set
// but that nothing reads, with the name they most likely meant.
import type { Command, Option } from 'commander';
import { specOf } from '../options/commander.js';
import { ENVIRONMENT, type EnvironmentVariable } from '../options/environment.js';
import { closestKey } from '../options/spec.js';

export interface EnvironmentRow {
  name: string;
  set: boolean;
  /** The value; absent when unset or a secret. */
  value?: string;
  secret: boolean;
  default: string;
  meaning: string;
  /** For a flag's variable: the flag and the commands that take it. */
  flag?: string;
  commands?: string[];
  /** Set to a value its check refuses, or set while nothing reads it. */
  problem?: string;
}

// Keys and tokens by name, for a table entry that does not say `secret`.
const SECRET_NAME = /(^|_)(KEY|TOKEN|SECRET|PASSWORD)$/;

interface FlagVariable {
  option: Option;
  commands: string[];
}

/** Every option with a CAPPY_* variable, over the whole command tree. */
function flagVariables(program: Command): Map<string, FlagVariable> {
  const out = new Map<string, FlagVariable>();
  const walk = (cmd: Command, path: string[]): void => {
    for (const option of cmd.options) {
      if (!option.envVar) continue;
      const seen = out.get(option.envVar);
      if (seen) seen.commands.push(path.join(' '));
      else out.set(option.envVar, { option, commands: [path.join(' ')] });
    }
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  for (const sub of program.commands) walk(sub, [sub.name()]);
  return out;
}

function problemOf(check: ((text: string) => unknown) | undefined, text: string): string | undefined {
  try {
    check?.(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What doctor says about the environment. `program` adds the flags' variables (every one, set or not). */
export function environmentReport(program: Command | undefined, env: NodeJS.ProcessEnv = process.env): EnvironmentRow[] {
  const rows: EnvironmentRow[] = [];
  for (const [name, v] of Object.entries(ENVIRONMENT) as [string, EnvironmentVariable][]) {
    const value = env[name];
    const set = value !== undefined && value !== '';
    const secret = v.secret === true;
    rows.push({
      name,
      set,
      ...(set && !secret ? { value } : {}),
      secret,
      default: v.defaultText,
      meaning: v.help,
      ...(set && v.spec ? { problem: problemOf((t) => v.spec!.parse(t, name), value!) } : {}),
    });
  }
  const flags = program ? flagVariables(program) : new Map<string, FlagVariable>();
  for (const [name, { option, commands }] of flags) {
    const spec = specOf(option);
    const value = env[name];
    const set = value !== undefined && value !== '';
    const secret = spec?.secret === true || SECRET_NAME.test(name);
    const defaultText = /\(default: (.*)\)/.exec(option.description)?.[1] ?? 'none';
    rows.push({
      name,
      set,
      ...(set && !secret ? { value } : {}),
      secret,
      default: defaultText,
      meaning: option.description.replace(/ \(default: .*\)/, ''),
      flag: option.long,
      commands,
      ...(set && spec ? { problem: problemOf((t) => spec.parse(t, name), value!) } : {}),
    });
  }
  // A CAPPY_ variable nobody reads is most often a misspelling.
  const known = [...Object.keys(ENVIRONMENT), ...flags.keys()];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CAPPY_') || known.includes(name) || value === undefined) continue;
    if (!program) continue; // without the commands, their variables are unknown
    const near = closestKey(name, known);
    // A misspelling of a secret's name holds that secret; of another name, its value is shown.
    const secret = near !== undefined ? (rows.find((r) => r.name === near)?.secret ?? true) : SECRET_NAME.test(name);
    rows.push({
      name,
      set: true,
      secret,
      ...(secret ? {} : { value }),
      default: '',
      meaning: '',
      problem: `set, but nothing reads it${near ? `; did you mean ${near}?` : ''}`,
    });
  }
  return rows.map((r) => (r.problem === undefined ? (({ problem: _p, ...rest }) => rest)(r) : r));
}

/** Doctor's lines: every engine variable, and the flags' variables that are set. */
export function formatEnvironment(rows: readonly EnvironmentRow[]): string[] {
  const lines: string[] = [];
  const shown = (r: EnvironmentRow) => (r.secret ? 'set (secret, not shown)' : `'${r.value}'`);
  for (const r of rows) {
    if (r.flag !== undefined && !r.set) continue;
    const state = r.set ? `= ${shown(r)}` : `unset (default: ${r.default})`;
    const what = r.flag ? `${r.flag} of ${r.commands!.join(', ')}` : r.meaning;
    lines.push(`${r.name} ${state}${what ? `: ${what}` : ''}${r.problem ? `; PROBLEM: ${r.problem}` : ''}`);
  }
  const flagCount = rows.filter((r) => r.flag !== undefined).length;
  if (flagCount > 0)
    lines.push(
      `(${flagCount} flags also read CAPPY_<FLAG>, e.g. CAPPY_MAX_BATCH_TOKENS; set ones are listed; cappy doctor --json lists all)`,
    );
  return lines;
}
