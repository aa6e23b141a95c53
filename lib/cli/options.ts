// The option tables on the commands: every command that loads a model takes
// every Scorer option (and --model) from lib/options, with its CAPPY_* variable.
import type { Command } from 'commander';
import { InvalidInputError } from '../errors/index.js';
import { addOptions, readOptions, toOption } from '../options/commander.js';
import { SCORER_OPTIONS } from '../options/scorer.js';
import { parseModelRef, SERVE_OPTIONS, type ModelRef } from '../options/serve.js';
import type { ScorerOptions } from '../scorer/options.js';

/** --model (required) and every Scorer option. */
export function addModelOptions(cmd: Command): Command {
  cmd.addOption(toOption('model', SERVE_OPTIONS.model).makeOptionMandatory());
  return addOptions(cmd, SCORER_OPTIONS);
}

export function scorerOptionsOf(cmd: Command): ScorerOptions {
  return readOptions(cmd, SCORER_OPTIONS);
}

/** Every --model the user gave, parsed. */
export function modelRefsOf(cmd: Command): ModelRef[] {
  const given = (cmd.opts() as { model?: string[] }).model ?? [];
  if (given.length === 0) throw new InvalidInputError('--model is required (or set CAPPY_MODEL)');
  return given.map((m) => parseModelRef(m, '--model'));
}

/** For commands that take at most one --model (demo, doctor): its folder, or undefined. */
export function optionalModelOf(cmd: Command): string | undefined {
  const given = (cmd.opts() as { model?: string[] }).model ?? [];
  return given.length === 0 ? undefined : singleModelOf(cmd);
}

/** For commands that score with one model: its folder. */
export function singleModelOf(cmd: Command): string {
  const refs = modelRefsOf(cmd);
  if (refs.length !== 1) {
    throw new InvalidInputError(`'cappy ${cmd.name()}' takes one --model, got ${refs.length}; 'cappy serve' serves several`);
  }
  return refs[0].dir;
}
