// The `cappy` command line: one file per command under commands/.
import { Command, CommanderError } from 'commander';
import { CappyError } from '../errors/index.js';
import { registerAdapt } from './commands/adapt.js';
import { registerAdaptData } from './commands/adapt-data.js';
import { registerBench } from './commands/bench.js';
import { registerConvert } from './commands/convert.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEval } from './commands/eval.js';
import { registerForge } from './commands/forge.js';
import { registerMerge } from './commands/merge.js';
import { registerPull } from './commands/pull.js';
import { registerScore } from './commands/score.js';
import { registerServe } from './commands/serve.js';

export function buildProgram(): Command {
  const program = new Command('cappy')
    .description('cappy-engine: fast, exact cross-encoder scoring (Cappy) from Node.js')
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program);
  registerScore(program);
  registerMerge(program);
  registerForge(program);
  registerEval(program);
  registerServe(program);
  registerPull(program);
  registerConvert(program);
  registerAdaptData(registerAdapt(program));
  registerBench(program);
  registerDoctor(program);
  return program;
}

/** Runs the CLI and returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CappyError) {
      process.stderr.write(`cappy: ${e.name} [${e.code}]: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`cappy: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
