// Option tables as commander options: one flag and one CAPPY_* variable per
// entry, parsed by the entry's own `parse`, so a bad value from the command
// line or from the environment fails with the same message as from the
// library. Nothing gets a commander default: an option not given stays
// undefined, and the library applies the default (help shows it).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CappyError } from '../errors/index.js';
import { envOf, flagOf, helpOf, type GivenOptions, type OptionSpec, type OptionTable } from './spec.js';

function placeholder(spec: OptionSpec<unknown>): string {
  if (spec.type === 'boolean') return '[bool]';
  if (spec.type === 'integer') return '<n>';
  if (spec.repeatable) return '<list>';
  if (spec.type.includes('|')) return '<choice>';
  return `<${spec.type.replace(/[^a-z0-9=,.-]/gi, '-')}>`;
}

const specs = new WeakMap<Option, OptionSpec<unknown>>();

/** The table entry a commander Option was made from (doctor reads `secret` and checks values with it). */
export function specOf(option: Option): OptionSpec<unknown> | undefined {
  return specs.get(option);
}

/** The commander Option for one table entry. */
export function toOption(key: string, spec: OptionSpec<unknown>): Option {
  const flag = flagOf(key, spec);
  const choices = spec.type.includes('|') ? ` [${spec.type.split('|').join(', ')}]` : '';
  const opt = new Option(`--${flag} ${placeholder(spec)}`, helpOf(spec) + choices).env(envOf(flag));
  opt.argParser((text: string, previous: unknown) => {
    try {
      const value = spec.parse(text, `--${flag}`);
      // A repeated list flag adds to what came before.
      return spec.repeatable && Array.isArray(previous) ? [...previous, ...(value as unknown[])] : value;
    } catch (e) {
      throw new InvalidArgumentError(e instanceof CappyError ? e.message : String(e));
    }
  });
  specs.set(opt, spec);
  return opt;
}

/**
 * Adds the table's entries (or the listed keys) to a command, in table order;
 * those in `required` must be given (as a flag or through their variable).
 */
export function addOptions<T extends OptionTable>(
  cmd: Command,
  table: T,
  keys?: readonly (keyof T & string)[],
  required: readonly (keyof T & string)[] = [],
): Command {
  for (const [key, spec] of Object.entries(table)) {
    if (spec.libraryOnly || (keys && !keys.includes(key))) continue;
    const option = toOption(key, spec);
    cmd.addOption(required.includes(key) ? option.makeOptionMandatory() : option);
  }
  return cmd;
}

/**
 * The values the user set for the table's entries, under the table's keys
 * (commander names an option by its flag in camelCase, which is the key
 * whenever the flag is derived from it).
 */
export function readOptions<T extends OptionTable>(cmd: Command, table: T): GivenOptions<T> {
  const all = cmd.opts() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const attr = flagOf(key, spec).replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (all[attr] !== undefined) out[key] = all[attr];
  }
  return out as GivenOptions<T>;
}
